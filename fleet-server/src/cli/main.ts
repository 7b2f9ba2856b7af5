import { COMMON_FLAGS_HELP } from './flags';
import { type CliIo, EXIT_CODES_HELP, processIo, runCommand } from './io';

type Env = Readonly<Record<string, string | undefined>>;

const USAGE = `Usage: edgefleet <command> [flags]

Commands:
  serve          start the fleet server (HTTP API, MQTT, artifact store) on one data dir ('serve --help')
  login          check an admin token and save it ('login --help'); logout removes it
  model          push, list, show, deprecate model versions ('model help')
  device         list, show, label, disable, enable, delete devices ('device help')
  enroll-token   create, list, revoke enrollment tokens ('enroll-token help')
  app            create, list web apps ('app help')
  admin-token    create a new admin token from the data dir, no server or token needed ('admin-token help')
  rollout        plan, create, list, show, pause, resume, promote, abort, roll back rollouts ('rollout help')
  automation     set and list how much a model decides alone, per device target or web app ('automation help')
  capture        set and get which samples a model's clients capture, per device target or web app ('capture help')
  samples        list, show, label and download captured samples ('samples help')
  dataset        create, list, show, export and verify datasets of labelled samples ('dataset help')
  drift          a version's drift against its baseline, worst feature first ('drift --help')
  quality        a version's accuracy from operator labels, per slice and over time ('quality --help')
  help           show this text

${COMMON_FLAGS_HELP}
${EXIT_CODES_HELP}`;

type Run = (command: string, argv: readonly string[], env: Env, io: CliIo) => Promise<void>;
type Single = (argv: readonly string[], env: Env, io: CliIo) => Promise<void>;

// Each command's module is loaded only when it runs: a CLI call pays for its own imports only.
const GROUPS: Record<string, () => Promise<{ run: Run; usage: string }>> = {
  model: async () => {
    const m = await import('./model');
    return { run: m.modelCommand, usage: m.MODEL_USAGE };
  },
  device: async () => {
    const m = await import('./device');
    return { run: m.deviceCommand, usage: m.DEVICE_USAGE };
  },
  'enroll-token': async () => {
    const m = await import('./enroll-token');
    return { run: m.enrollTokenCommand, usage: m.ENROLL_TOKEN_USAGE };
  },
  app: async () => {
    const m = await import('./app');
    return { run: m.appCommand, usage: m.APP_USAGE };
  },
  automation: async () => {
    const m = await import('./automation');
    return { run: m.automationCommand, usage: m.AUTOMATION_USAGE };
  },
  capture: async () => {
    const m = await import('./capture');
    return { run: m.captureCommand, usage: m.CAPTURE_USAGE };
  },
  samples: async () => {
    const m = await import('./samples');
    return { run: m.samplesCommand, usage: m.SAMPLES_USAGE };
  },
  dataset: async () => {
    const m = await import('./dataset');
    return { run: m.datasetCommand, usage: m.DATASET_USAGE };
  },
  'admin-token': async () => {
    const m = await import('./admin-token');
    return { run: m.adminTokenCommand, usage: m.ADMIN_TOKEN_USAGE };
  },
};
const SINGLES: Record<string, () => Promise<{ run: Single; usage: string }>> = {
  login: async () => {
    const m = await import('./login');
    return { run: m.loginCommand, usage: m.LOGIN_USAGE };
  },
  logout: async () => {
    const m = await import('./login');
    return { run: m.logoutCommand, usage: m.LOGIN_USAGE };
  },
  drift: async () => {
    const m = await import('./drift');
    return { run: m.driftCommand, usage: m.DRIFT_USAGE };
  },
  quality: async () => {
    const m = await import('./quality');
    return { run: m.qualityCommand, usage: m.QUALITY_USAGE };
  },
};
const isHelp = (arg: string | undefined) => arg === 'help' || arg === '--help' || arg === '-h';

/** Runs the `edgefleet` CLI; resolves to the process exit code (see EXIT_CODES_HELP). */
export async function main(argv: readonly string[], env: Env, io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || isHelp(command)) {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'serve') return serve(rest, env);
  if (command === 'rollout' && rest[0] === 'plan')
    return (await import('./rollout-plan')).rolloutPlanCommand(rest.slice(1), env, io);
  if (command === 'rollout') return (await import('./rollout')).rolloutCommand(rest, env, io);
  const loadGroup = GROUPS[command];
  if (loadGroup) {
    const group = await loadGroup();
    const [sub, ...args] = rest;
    if (sub === undefined || isHelp(sub)) {
      io.out(group.usage);
      return sub === undefined ? 2 : 0;
    }
    if (args.some((a) => a === '--help' || a === '-h') && sub !== 'push') {
      io.out(group.usage);
      return 0;
    }
    return runCommand(`edgefleet ${command} ${sub}`, io, env, () => group.run(sub, args, env, io));
  }
  const loadSingle = SINGLES[command];
  if (loadSingle) {
    const single = await loadSingle();
    if (rest.some((a) => a === '--help' || a === '-h')) {
      io.out(single.usage);
      return 0;
    }
    return runCommand(`edgefleet ${command}`, io, env, () => single.run(rest, env, io));
  }
  io.err(`edgefleet: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

/** `edgefleet serve`: loaded only when asked for, so admin commands start fast. */
async function serve(rest: readonly string[], env: Env): Promise<number> {
  const { CONFIG_SETTINGS, loadConfig } = await import('../config');
  const { FleetError } = await import('../errors');
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(
      `Usage: edgefleet serve [flags]\n\nFlags (each also as an env var; flags win over env, env over defaults):\n${CONFIG_SETTINGS.map((s) => `  ${s.flag.padEnd(24)} ${s.env}`).join('\n')}\n`,
    );
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
  const { serveCommand } = await import('./serve');
  return serveCommand(config);
}
