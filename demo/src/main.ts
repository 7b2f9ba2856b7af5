import { type DemoConfig, parseDemoArgs, USAGE } from './config';

/** `pnpm demo`: resolves to the exit code once everything it started has stopped. */
export async function main(argv: readonly string[]): Promise<number> {
  let config: DemoConfig;
  try {
    const parsed = parseDemoArgs(argv);
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    config = parsed.config;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  // Loaded after the flags were read: --help and flag errors answer without loading the server and Vite.
  const { Running, Stop, say, warn } = await import('./lifecycle');
  const { runDemo } = await import('./run');
  const stop = new Stop();
  const running = new Running();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.stopping) {
      warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    stop.request(0, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const setup = runDemo(config, running, stop).catch((error: Error) => {
    warn(error.message);
    stop.request(1, 'setup failed');
  });
  const code = await stop.code;
  // Setup checks `stop.stopping` between its steps: let it reach the next one, so nothing starts after close.
  await setup;
  try {
    await running.close();
  } catch (error) {
    warn(`shutdown: ${(error as Error).message}`);
    return code || 1;
  }
  say(code === 0 ? 'stopped cleanly' : `stopped (exit ${code})`);
  return code;
}
