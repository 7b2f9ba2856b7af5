import pino from 'pino';
import { startAgent } from '../agent';
import { loadAgentConfig, SETTINGS } from '../config';
import { enroll } from '../enrollment';

const HELP = `edgefleet-agent <command> [flags]

commands:
  enroll --server URL --token ENROLL_TOKEN [--device-id ID] [--label k=v …] [--fleet-key-sha256 THUMBPRINT]
         (plain http:// to another host needs --fleet-key-sha256)
  run    [--watch DIR] [--out DIR] …

flags (env):
${SETTINGS.map(([flag, env]) => `  --${flag.padEnd(20)} ${env}`).join('\n')}
  --label k=v            (repeatable)
`;

/** CLI entry: returns the exit code. `run` resolves only after SIGTERM/SIGINT and a clean shutdown. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let loaded: ReturnType<typeof loadAgentConfig>;
  try {
    loaded = loadAgentConfig(argv, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { config, positionals } = loaded;
  const command = positionals[0];
  if (command === 'enroll') {
    if (!config.server || !config.token) {
      process.stderr.write('enroll needs --server and --token\n');
      return 2;
    }
    try {
      const result = await enroll({
        server: config.server,
        token: config.token,
        dataDir: config.dataDir,
        labels: config.labels,
        ...(config.fleetKeySha256 ? { fleetKeySha256: config.fleetKeySha256 } : {}),
        ...(config.deviceId ? { deviceId: config.deviceId } : {}),
      });
      process.stdout.write(
        `enrolled as ${result.deviceId} in fleet ${result.fleet}; credentials in ${config.dataDir}\n`,
      );
      return 0;
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
  }
  if (command === 'run') {
    const logger = pino({ level: config.logLevel });
    const agent = await startAgent(config, { logger });
    process.stdout.write(`edgefleet-agent listening on ${agent.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        process.once(signal, () => process.exit(130));
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await agent.close();
    return 0;
  }
  process.stdout.write(HELP);
  return command === undefined || command === 'help' ? 0 : 2;
}
