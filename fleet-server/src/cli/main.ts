import { CONFIG_SETTINGS, loadConfig } from '../config';
import { FleetError } from '../errors';
import { rolloutCommand } from './rollout';
import { serveCommand } from './serve';

const USAGE = `Usage: edgefleet <command> [flags]

Commands:
  serve     start the fleet server (HTTP API, MQTT, artifact store) on one data dir
  rollout   create, list, show, pause, resume, promote, abort, roll back rollouts (see 'rollout help')
  help      show this text

Flags of serve (each also as an env var; flags win over env, env over defaults):
${CONFIG_SETTINGS.map((s) => `  ${s.flag.padEnd(24)} ${s.env}`).join('\n')}
`;

/** Runs the `edgefleet` CLI; resolves to the process exit code. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === 'rollout') return rolloutCommand(rest, env);
  if (command !== 'serve') {
    process.stderr.write(`edgefleet: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(rest, env);
  } catch (error) {
    const message = error instanceof FleetError || error instanceof TypeError ? error.message : String(error);
    process.stderr.write(`edgefleet serve: ${message}\n`);
    return 2;
  }
  return serveCommand(config);
}
