import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

/** Everything `pnpm demo` can be told, after flags and defaults were merged. */
export interface DemoConfig {
  /** Server data, agents' data dirs, watched folders, the built demo page and the demo's state file. */
  dataDir: string;
  /** Wipe `dataDir` first; without it a second run resumes the same fleet. */
  fresh: boolean;
  devices: number;
  /** HTTP port of the fleet server; `preferred` ports fall back to a free one when taken, explicit ones do not. */
  httpPort: { port: number; explicit: boolean };
  mqttPort: { port: number; explicit: boolean };
  /** Seconds to run once everything is up, then stop cleanly; 0 runs until SIGINT/SIGTERM. */
  durationS: number;
  /** Stages of the canary rollout of 1.1.0. */
  stages: string;
  /** Telemetry window the devices aggregate over. */
  windowMs: number;
  /** Mean time between two images dropped into one station's folder (each wait is 2/3 … 4/3 of it). */
  intervalMs: number;
  /** Candidate inferences a canary stage needs before it may pass. */
  minInferences: number;
  /** PSI gate on the brightness and contrast of what the candidate sees. */
  maxPsi: number;
  /** p95 end-to-end latency gate of the candidate. */
  latencyP95Ms: number;
  /** How often the rollout controller ticks. */
  rolloutTickMs: number;
  /** Share of the model's own decisions an operator checks anyway (every review-routed one is labelled). */
  spotCheckShare: number;
  statusEveryS: number;
  /** Build and serve the browser demo page. */
  web: boolean;
  /** Build the dashboard when `dashboard/dist` is missing. */
  dashboardBuild: boolean;
  /** The in-process fleet server's pino level. */
  logLevel: string;
  /**
   * When line 2's lights fail by themselves (the data loop follows): once the stations' canary is over, `seconds`
   * after the demo is up (a running canary rolls back), or `off` (only key d).
   */
  dimAfter: DimAfter;
}

/** When line 2's lights fail by themselves: see {@link DemoConfig.dimAfter}. */
export type DimAfter = { kind: 'canary' } | { kind: 'seconds'; seconds: number } | { kind: 'off' };

/**
 * The canary of 1.1.0 is also an automation ladder: its first stage's stations (line 2 when it can) serve the
 * candidate in shadow (the operators decide, and label every image), step up to partial automation (the model
 * decides alone at ≥ 99 % confidence) once their agreement with the operators is shown, then every station.
 */
export const DEFAULT_STAGES = '34%:1m@shadow,34%:1m@partial(0.99,0),100%@partial(0.99,0)';

export const USAGE = `Usage: pnpm demo [flags]

Starts a fleet server, N device agents fed by image generators and the browser demo page on embedded
defaults, registers cls 1.0.0 and 1.1.0 (the real PaddleOCR direction classifier), deploys 1.0.0 and starts
a canary rollout of 1.1.0. Once the canary is over a lamp fails on line 2: the demo captures its images,
labels them, exports them as a dataset and registers cls 1.2.0 trained on it (the data loop). Ctrl-C stops
everything. A second run resumes the same fleet.

Flags:
  --devices N            device agents to run (default 6; site=plant-a, half on line=1, half on line=2)
  --fresh                wipe the data dir first
  --data-dir DIR         default ./.edgefleet-demo
  --http-port P          fleet server HTTP port (default 8080, or a free one when taken)
  --mqtt-port P          embedded broker TCP port (default 1884, or a free one when taken)
  --duration S           stop cleanly S seconds after everything is up (default: run until Ctrl-C)
  --stages LIST          canary stages of 1.1.0 (default ${DEFAULT_STAGES}:
                         the first stage's stations go from shadow to partial automation; 34%:1m/5m sets a
                         deadline, @LEVEL the members' automation level)
  --window-ms MS         telemetry window of the devices (default 5000)
  --interval-ms MS       mean time between images per station (default 750)
  --min-inferences N     candidate inferences a stage needs before it passes (default 200)
  --max-psi X            PSI gate on brightness and contrast (default 0.25)
  --latency-p95-ms MS    p95 latency gate (default 250)
  --rollout-tick-ms MS   rollout controller tick (default 2000)
  --spot-checks X        share of the model's own decisions each station's operator labels (default 0.2)
  --status-every S       seconds between status lines (default 5)
  --no-web               do not build or serve the browser demo page
  --no-dashboard-build   serve dashboard/dist as it is (no build first)
  --log-level LEVEL      fleet server log level (default warn)
  --dim-after WHEN       when a lamp fails on line 2 and the data loop closes on its images: canary (default:
                         once the canary is over), S seconds after the demo is up (a running canary rolls
                         back), or off (only key d)
  --help                 this text
`;

const OPTIONS = {
  devices: { type: 'string' },
  fresh: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'http-port': { type: 'string' },
  'mqtt-port': { type: 'string' },
  duration: { type: 'string' },
  stages: { type: 'string' },
  'window-ms': { type: 'string' },
  'interval-ms': { type: 'string' },
  'min-inferences': { type: 'string' },
  'max-psi': { type: 'string' },
  'latency-p95-ms': { type: 'string' },
  'rollout-tick-ms': { type: 'string' },
  'spot-checks': { type: 'string' },
  'status-every': { type: 'string' },
  'no-web': { type: 'boolean' },
  'no-dashboard-build': { type: 'boolean' },
  'log-level': { type: 'string' },
  'dim-after': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`--${flag}: expected a number in ${min} … ${max}, got '${text}'`);
  }
  return value;
}

const integer = (flag: string, text: string | undefined, fallback: number, min: number, max: number) => {
  const value = number(flag, text, fallback, min, max);
  if (!Number.isInteger(value)) throw new TypeError(`--${flag}: expected an integer, got '${text}'`);
  return value;
};

/** A stage list shaped like `34%:1m,100%` (the server checks the rest: rising shares, last one 100%). */
function checkStages(text: string): string {
  const level = String.raw`(@(shadow|assist|full|partial\(\d(\.\d{1,4})?,\d(\.\d{1,4})?\)))?`;
  const stage = String.raw`\d{1,3}(\.\d{1,2})?%(:(\d+[smhd])+(\/(\d+[smhd])+)?)?${level}`;
  if (text.length > 200 || !new RegExp(`^${stage}(,${stage})*$`).test(text)) {
    throw new TypeError(`--stages: expected a list like 34%:1m,100%, got '${text.slice(0, 200)}'`);
  }
  return text;
}

function dimAfter(text: string | undefined): DimAfter {
  if (text === undefined || text === 'canary') return { kind: 'canary' };
  if (text === 'off') return { kind: 'off' };
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 7 * 86_400) {
    throw new TypeError(
      `--dim-after: expected canary, off or seconds in 0 … ${7 * 86_400}, got '${text.slice(0, 50)}'`,
    );
  }
  return { kind: 'seconds', seconds };
}

/** Parses the demo's flags; `help` is true for `--help`. Throws TypeError naming the flag at fault. */
export function parseDemoArgs(argv: readonly string[]): { help: boolean; config: DemoConfig } {
  const { values: v } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  const logLevel = v['log-level'] ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new TypeError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const port = (flag: string, text: string | undefined, fallback: number) => ({
    port: integer(flag, text, fallback, 0, 65535),
    explicit: text !== undefined,
  });
  return {
    help: v.help === true,
    config: {
      dataDir: resolve(v['data-dir'] ?? './.edgefleet-demo'),
      fresh: v.fresh === true,
      devices: integer('devices', v.devices, 6, 1, 50),
      httpPort: port('http-port', v['http-port'], 8080),
      mqttPort: port('mqtt-port', v['mqtt-port'], 1884),
      durationS: number('duration', v.duration, 0, 0, 7 * 86_400),
      stages: checkStages(v.stages ?? DEFAULT_STAGES),
      windowMs: integer('window-ms', v['window-ms'], 5000, 1000, 3_600_000),
      intervalMs: integer('interval-ms', v['interval-ms'], 750, 50, 600_000),
      minInferences: integer('min-inferences', v['min-inferences'], 200, 0, 1_000_000_000),
      // The documented default PSI gate. Tested at 99 % with the 300 reference images' noise counted, a healthy
      // station passes it after ≈ 150–300 candidate inferences; dimmed lights (PSI ≈ 16) breach within a window.
      maxPsi: number('max-psi', v['max-psi'], 0.25, 0.000001, 1000),
      latencyP95Ms: number('latency-p95-ms', v['latency-p95-ms'], 250, 0.001, 600_000),
      rolloutTickMs: integer('rollout-tick-ms', v['rollout-tick-ms'], 2000, 50, 3_600_000),
      spotCheckShare: number('spot-checks', v['spot-checks'], 0.2, 0, 1),
      statusEveryS: number('status-every', v['status-every'], 5, 0.5, 3600),
      web: v['no-web'] !== true,
      dashboardBuild: v['no-dashboard-build'] !== true,
      logLevel,
      dimAfter: dimAfter(v['dim-after']),
    },
  };
}
