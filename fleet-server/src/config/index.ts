import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { InvalidInput } from '../errors';

const MiB = 1024 * 1024;

const port = z.coerce.number().int().min(0).max(65535);

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** A duration: `48h`, `30d`, `90m`, `15s`, or a number of ms; `0` where a setting allows it means "forever". */
const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  const ms = typeof v === 'number' ? v : m ? Number(m[1]) * DURATION_UNITS_MS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 48h, 30d, 90m or a number of ms' });
    return z.NEVER;
  }
  return Math.round(ms);
});
const bytes = z.coerce.number().int().positive();

/** Every setting of the fleet server, after flags, env and defaults were merged. */
export const configSchema = z.object({
  /** Directory for the SQLite file, artifacts, keys and temp files. */
  dataDir: z.string().min(1).default('./.edgefleet'),
  /**
   * Where the first admin token is written (0600) instead of stdout, so service logs never hold it; the server
   * prints only the path.
   */
  adminTokenFile: z.string().min(1).optional(),
  /** Interface the HTTP server binds to. */
  httpHost: z.string().min(1).default('0.0.0.0'),
  /** HTTP port; 0 picks a free one. */
  httpPort: port.default(8080),
  /** Embedded MQTT broker TCP port; 0 picks a free one. 1883 is left to a system Mosquitto. */
  mqttPort: port.default(1884),
  /** External broker URL (mqtt://user:pass@host:port); when set, no embedded broker starts. */
  mqttUrl: z.string().url().optional(),
  /** Plausibility bound and client inference budget: inferences per second of window one client may claim. */
  telemetryMaxInferencesPerS: z.coerce.number().positive().default(1000),
  /** Reports per second one client id (or device) may send, sustained (bursts of 600), on every path. */
  telemetryClientReportsPerS: z.coerce.number().positive().default(2),
  /** Reports per second one app key may send for all its browsers together, on every path. */
  telemetryAppReportsPerS: z.coerce.number().positive().default(100),
  /** Most inferences one browser client id carries in a stage's cohort of an app rollout (SECURITY.md). */
  appGateMaxClientInferences: z.coerce.number().int().min(1).default(1000),
  /** Fleet name: the MQTT topic prefix is `ef/v1/{fleet}`. */
  fleet: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64')
    .default('default'),
  /** URL clients use to reach this server (artifact URLs in manifests); derived from host/port when absent. */
  publicUrl: z.string().url().optional(),
  /** Largest accepted model artifact upload. */
  maxModelBytes: bytes.default(512 * MiB),
  /** Largest accepted JSON request body. */
  maxJsonBytes: bytes.default(1 * MiB),
  /** Largest multipart reference set posted to `/api/v1/baselines` (held in memory; larger sets go as a tar artifact). */
  maxReferenceBytes: bytes.default(64 * MiB),
  /** Unreferenced artifacts (no model version uses them) older than this are deleted (ms; default 24 h). */
  artifactGcGraceMs: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 3_600_000),
  /** How often unreferenced artifacts are collected (ms); 0 turns collection off. */
  artifactGcIntervalMs: z.coerce.number().int().min(0).default(3_600_000),
  /** Requests per second allowed per app publishable key (token bucket refill rate). */
  appRateLimitPerS: z.coerce.number().positive().default(20),
  /** Burst size of the per-key token bucket. */
  appRateBurst: z.coerce.number().int().positive().default(100),
  /**
   * Shared secret the external broker's HTTP auth hooks (`/api/v1/broker/*`) must send. Embedded mode
   * without it: the hook routes are not mounted. External mode without it: mounted, open, and a loud warning.
   */
  brokerHookSecret: z.string().min(16, 'at least 16 characters').optional(),
  /** How often the rollout controller evaluates active rollouts (ms). */
  rolloutTickMs: z.coerce.number().int().min(50).max(3_600_000).default(10_000),
  /** Telemetry window the server gives targets that have no telemetry settings yet (desired states, app plans; ms). */
  telemetryWindowMs: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  /** Folder of the built dashboard served at `/`; default: the repo's `dashboard/dist` beside this package. */
  dashboardDir: z.string().min(1).optional(),
  /** How often the alert evaluator runs (ms); 0 disables the timer (events still trigger it). */
  alertTickMs: z.coerce
    .number()
    .int()
    .refine((ms) => ms === 0 || (ms >= 100 && ms <= 3_600_000), '0, or 100 … 3600000')
    .default(15_000),
  /** A device not seen (offline, or online without a report) for longer than this raises `device_silent` (ms). */
  alertSilentMs: z.coerce.number().int().min(1_000).default(300_000),
  /** Window over which the `drift` alert merges a version's reports (ms). */
  alertDriftWindowMs: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(7 * 86_400_000)
    .default(3_600_000),
  /** Input/output PSI a version's `drift` alert is raised at, once the PSI's lower bound reaches it. */
  alertDriftPsi: z.coerce.number().positive().default(0.25),
  /** Error rate the `quality` alert is raised at, once its lower bound reaches it; 0: not tested. */
  alertErrorRate: z.coerce.number().min(0).max(1).default(0.05),
  /** Latency p95 (ms) the `quality` alert is raised at, once its lower bound reaches it; 0: not tested. */
  alertLatencyP95Ms: z.coerce.number().min(0).default(0),
  /** Family-wise confidence of one drift/quality evaluation of a version (all features, tests and slices). */
  alertConfidence: z.coerce.number().min(0.5).max(0.999999).default(0.99),
  /** Device label keys whose values are judged as slices besides the whole fleet (comma-separated). */
  alertSliceLabels: z
    .union([z.array(z.string()), z.string()])
    .transform((v) =>
      (typeof v === 'string' ? v.split(',') : v).map((k) => k.trim()).filter((k) => k.length > 0),
    )
    .pipe(
      z
        .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/, 'label keys: letters, digits, . _ / -'))
        .max(8),
    )
    .default([]),
  /** Fewest inferences in the drift window before drift may raise an alert. */
  alertDriftMinInferences: z.coerce.number().int().min(1).default(500),
  /**
   * Expected false `change` alerts per version (and role) and day, over all its streams (CUSUM on the hourly
   * aggregates); 0 turns change detection off.
   */
  alertChangeFalseAlarmsPerDay: z.coerce.number().min(0).max(10).default(0.01),
  /**
   * Expected false concept-drift alerts per stream (a version, or a version in one slice of alertSliceLabels)
   * and day, from the labelled error stream; 0 turns concept-drift detection off.
   */
  alertConceptDriftFalseAlarmsPerDay: z.coerce.number().min(0).max(10).default(0.01),
  /** Fewest operator labels a concept-drift batch pools (hours are pooled until they hold this many). */
  alertConceptDriftMinLabels: z.coerce.number().int().min(10).max(1_000_000).default(100),
  /** How far back a version's change streams start when the server starts (ms). */
  alertChangeLookbackMs: z.coerce
    .number()
    .int()
    .min(3_600_000)
    .max(90 * 86_400_000)
    .default(7 * 86_400_000),
  /** Wall-time budget of one model job (a baseline from a reference set, a golden check), in a process of its own (ms). */
  baselineTimeoutMs: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Memory budget of one model job: its process's RSS, and its V8 heap (MiB). */
  baselineMemoryMb: z.coerce.number().int().min(64).max(65_536).default(2048),
  /** Model jobs that may run at once; more answer 503 `baseline_busy`. */
  baselineConcurrency: z.coerce.number().int().min(1).max(64).default(1),
  /** How often the server writes a small probe file and row to find storage failing or working again (ms); 0: only on `/healthz`. */
  storageProbeMs: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** Bytes the server keeps in reserve in the data dir and frees when the disk is full, so its alert can be written; 0: none. */
  storageReserveBytes: z.coerce
    .number()
    .int()
    .min(0)
    .default(1 * MiB),
  /** Concurrent `/api/v1/events` streams; more are refused with 503. */
  maxEventStreams: z.coerce.number().int().min(1).max(10_000).default(100),
  /**
   * Telemetry rows one timeseries request may read; past it the answer says `truncated: true`. A raw report costs
   * about 0.1–0.15 ms to parse and merge (bench/monitoring.ts), so the default bounds a request to a few seconds.
   */
  timeseriesRowBudget: z.coerce.number().int().min(10).default(20_000),
  /**
   * How long raw telemetry reports are kept (e.g. `48h`); older ones live on only in the hourly and daily tiers,
   * which merge exactly. 0 keeps them forever. At least 2 h, so an hour is complete before its reports go.
   */
  rawRetentionMs: duration
    .refine((ms) => ms === 0 || ms >= 2 * 3_600_000, '0 (forever) or at least 2h')
    .default(48 * 3_600_000),
  /** How long the hourly tiers (per source and fleet-wide) keep an hour (whole UTC days go at once); 0: forever. */
  hourlyRetentionMs: duration
    .refine((ms) => ms === 0 || ms >= 2 * 86_400_000, '0 (forever) or at least 2d')
    .default(30 * 86_400_000),
  /** How long the daily tiers keep a day; 0: forever. */
  dailyRetentionMs: duration
    .refine((ms) => ms === 0 || ms >= 2 * 86_400_000, '0 (forever) or at least 2d')
    .default(400 * 86_400_000),
  /** How often the daily roll-up and the retention deletes run (small batches, between ingest writes); 0: never. */
  telemetryMaintenanceMs: duration
    .refine((ms) => ms === 0 || (ms >= 1_000 && ms <= 86_400_000), '0 (off), or 1s … 1d')
    .default(60_000),
  /** Bytes the sample store may hold (blobs); an upload past it answers 507 `sample_store_full`. */
  sampleStoreBytes: bytes.default(10 * 1024 * MiB),
  /** Unlabelled samples in no dataset are deleted (with their blobs) this long after their last capture (`30d`, `12h`, or ms); 0 keeps them. */
  sampleRetentionMs: duration.default(30 * 86_400_000),
  /** How often expired samples, sample blobs without a sample and old budget days are collected (ms); 0 turns collection off. */
  sampleGcIntervalMs: z.coerce.number().int().min(0).default(3_600_000),
  /** Samples the browsers of one app may upload per UTC day, all clients together (a public key's flood bound). */
  sampleAppDailyCap: z.coerce.number().int().min(0).default(10_000),
  /** Largest dataset export (tar bytes); a larger one answers 413 `export_too_large` before anything is sent. */
  maxExportBytes: bytes.default(4 * 1024 * MiB),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Flag name, env var name and config key of every setting. */
const SETTINGS = [
  ['data-dir', 'EDGEFLEET_DATA_DIR', 'dataDir'],
  ['admin-token-file', 'EDGEFLEET_ADMIN_TOKEN_FILE', 'adminTokenFile'],
  ['http-host', 'EDGEFLEET_HTTP_HOST', 'httpHost'],
  ['http-port', 'EDGEFLEET_HTTP_PORT', 'httpPort'],
  ['mqtt-port', 'EDGEFLEET_MQTT_PORT', 'mqttPort'],
  ['mqtt-url', 'EDGEFLEET_MQTT_URL', 'mqttUrl'],
  ['fleet', 'EDGEFLEET_FLEET', 'fleet'],
  [
    'app-gate-max-client-inferences',
    'EDGEFLEET_APP_GATE_MAX_CLIENT_INFERENCES',
    'appGateMaxClientInferences',
  ],
  [
    'telemetry-max-inferences-per-s',
    'EDGEFLEET_TELEMETRY_MAX_INFERENCES_PER_S',
    'telemetryMaxInferencesPerS',
  ],
  [
    'telemetry-client-reports-per-s',
    'EDGEFLEET_TELEMETRY_CLIENT_REPORTS_PER_S',
    'telemetryClientReportsPerS',
  ],
  ['telemetry-app-reports-per-s', 'EDGEFLEET_TELEMETRY_APP_REPORTS_PER_S', 'telemetryAppReportsPerS'],
  ['public-url', 'EDGEFLEET_PUBLIC_URL', 'publicUrl'],
  ['max-model-bytes', 'EDGEFLEET_MAX_MODEL_BYTES', 'maxModelBytes'],
  ['max-json-bytes', 'EDGEFLEET_MAX_JSON_BYTES', 'maxJsonBytes'],
  ['max-reference-bytes', 'EDGEFLEET_MAX_REFERENCE_BYTES', 'maxReferenceBytes'],
  ['artifact-gc-grace-ms', 'EDGEFLEET_ARTIFACT_GC_GRACE_MS', 'artifactGcGraceMs'],
  ['artifact-gc-interval-ms', 'EDGEFLEET_ARTIFACT_GC_INTERVAL_MS', 'artifactGcIntervalMs'],
  ['app-rate-limit-per-s', 'EDGEFLEET_APP_RATE_LIMIT_PER_S', 'appRateLimitPerS'],
  ['app-rate-burst', 'EDGEFLEET_APP_RATE_BURST', 'appRateBurst'],
  ['broker-hook-secret', 'EDGEFLEET_BROKER_HOOK_SECRET', 'brokerHookSecret'],
  ['rollout-tick-ms', 'EDGEFLEET_ROLLOUT_TICK_MS', 'rolloutTickMs'],
  ['telemetry-window-ms', 'EDGEFLEET_TELEMETRY_WINDOW_MS', 'telemetryWindowMs'],
  ['dashboard-dir', 'EDGEFLEET_DASHBOARD_DIR', 'dashboardDir'],
  ['alert-tick-ms', 'EDGEFLEET_ALERT_TICK_MS', 'alertTickMs'],
  ['alert-silent-ms', 'EDGEFLEET_ALERT_SILENT_MS', 'alertSilentMs'],
  ['alert-drift-window-ms', 'EDGEFLEET_ALERT_DRIFT_WINDOW_MS', 'alertDriftWindowMs'],
  ['alert-drift-psi', 'EDGEFLEET_ALERT_DRIFT_PSI', 'alertDriftPsi'],
  ['alert-drift-min-inferences', 'EDGEFLEET_ALERT_DRIFT_MIN_INFERENCES', 'alertDriftMinInferences'],
  ['alert-error-rate', 'EDGEFLEET_ALERT_ERROR_RATE', 'alertErrorRate'],
  ['alert-latency-p95-ms', 'EDGEFLEET_ALERT_LATENCY_P95_MS', 'alertLatencyP95Ms'],
  ['alert-confidence', 'EDGEFLEET_ALERT_CONFIDENCE', 'alertConfidence'],
  ['alert-slice-labels', 'EDGEFLEET_ALERT_SLICE_LABELS', 'alertSliceLabels'],
  [
    'alert-change-false-alarms-per-day',
    'EDGEFLEET_ALERT_CHANGE_FALSE_ALARMS_PER_DAY',
    'alertChangeFalseAlarmsPerDay',
  ],
  ['alert-change-lookback-ms', 'EDGEFLEET_ALERT_CHANGE_LOOKBACK_MS', 'alertChangeLookbackMs'],
  [
    'alert-concept-drift-false-alarms-per-day',
    'EDGEFLEET_ALERT_CONCEPT_DRIFT_FALSE_ALARMS_PER_DAY',
    'alertConceptDriftFalseAlarmsPerDay',
  ],
  [
    'alert-concept-drift-min-labels',
    'EDGEFLEET_ALERT_CONCEPT_DRIFT_MIN_LABELS',
    'alertConceptDriftMinLabels',
  ],
  ['baseline-timeout-ms', 'EDGEFLEET_BASELINE_TIMEOUT_MS', 'baselineTimeoutMs'],
  ['baseline-memory-mb', 'EDGEFLEET_BASELINE_MEMORY_MB', 'baselineMemoryMb'],
  ['baseline-concurrency', 'EDGEFLEET_BASELINE_CONCURRENCY', 'baselineConcurrency'],
  ['storage-probe-ms', 'EDGEFLEET_STORAGE_PROBE_MS', 'storageProbeMs'],
  ['storage-reserve-bytes', 'EDGEFLEET_STORAGE_RESERVE_BYTES', 'storageReserveBytes'],
  ['max-event-streams', 'EDGEFLEET_MAX_EVENT_STREAMS', 'maxEventStreams'],
  ['timeseries-row-budget', 'EDGEFLEET_TIMESERIES_ROW_BUDGET', 'timeseriesRowBudget'],
  ['raw-retention', 'EDGEFLEET_RAW_RETENTION', 'rawRetentionMs'],
  ['hourly-retention', 'EDGEFLEET_HOURLY_RETENTION', 'hourlyRetentionMs'],
  ['daily-retention', 'EDGEFLEET_DAILY_RETENTION', 'dailyRetentionMs'],
  ['telemetry-maintenance', 'EDGEFLEET_TELEMETRY_MAINTENANCE', 'telemetryMaintenanceMs'],
  ['sample-store-bytes', 'EDGEFLEET_SAMPLE_STORE_BYTES', 'sampleStoreBytes'],
  ['sample-retention', 'EDGEFLEET_SAMPLE_RETENTION', 'sampleRetentionMs'],
  ['sample-gc-interval-ms', 'EDGEFLEET_SAMPLE_GC_INTERVAL_MS', 'sampleGcIntervalMs'],
  ['sample-app-daily-cap', 'EDGEFLEET_SAMPLE_APP_DAILY_CAP', 'sampleAppDailyCap'],
  ['max-export-bytes', 'EDGEFLEET_MAX_EXPORT_BYTES', 'maxExportBytes'],
  ['log-level', 'EDGEFLEET_LOG_LEVEL', 'logLevel'],
] as const satisfies readonly (readonly [string, `EDGEFLEET_${string}`, keyof Config])[];

/** The flags and env vars, for `--help`. */
export const CONFIG_SETTINGS: readonly { flag: string; env: string; key: keyof Config }[] = SETTINGS.map(
  ([flag, env, key]) => ({ flag: `--${flag}`, env, key }),
);

/** Builds a full config from explicit values (tests, embedding); relative dataDir resolves against cwd. */
export function resolveConfig(input: ConfigInput = {}): Config {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config');
    const setting = SETTINGS.find(([, , k]) => k === key);
    const name = setting ? `--${setting[0]} / ${setting[1]}` : key;
    throw new InvalidInput(`invalid setting ${name}: ${issue?.message ?? 'invalid'}`, {
      field: key,
    });
  }
  const config = parsed.data;
  return { ...config, dataDir: isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir) };
}

/** Reads flags (`--http-port 0`) and env (`EDGEFLEET_HTTP_PORT=0`); flags win over env, env over defaults. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const options = Object.fromEntries(SETTINGS.map(([flag]) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  const input: Record<string, string> = {};
  for (const [flag, envName, key] of SETTINGS) {
    const value = (values as Record<string, string | undefined>)[flag] ?? env[envName];
    if (value !== undefined && value !== '') input[key] = value;
  }
  return resolveConfig(input as ConfigInput);
}
