import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_INLINE_MAX_MS } from '../runtime/runner';

const MiB = 1024 * 1024;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Every agent setting after flags, env and defaults were merged. */
export const agentConfigSchema = z.object({
  /** Enrollment, model store, state file and telemetry outbox live here. */
  dataDir: z.string().min(1).default('./.edgefleet-agent'),
  /** Fleet server URL (enroll). */
  server: z.string().url().optional(),
  /** One-time enrollment token (enroll). */
  token: z.string().min(16).optional(),
  /** Device id to enroll as; default: the host name. */
  deviceId: z.string().optional(),
  /** Labels to enroll with (`k=v`). */
  labels: z.record(z.string(), z.string()).default({}),
  /** Local API interface; loopback unless set. */
  httpHost: z.string().min(1).default('127.0.0.1'),
  /** Host names the local API answers to besides IPs, localhost and this machine's name (DNS rebinding guard). */
  apiAllowedHosts: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h.length > 0),
    ),
  /** Pinned fleet signing key (its RFC 7638 thumbprint, as `edgefleet serve` prints it): enroll over http. */
  fleetKeySha256: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/, 'expected the 43-character key thumbprint')
    .optional(),
  /** Local API port; 0 picks one. */
  httpPort: int(0, 65535).default(8470),
  /** Watched folder of images. */
  watch: z.string().optional(),
  /** Results of the watched folder; default beside the images. */
  out: z.string().optional(),
  /** onnxruntime intra-op threads (explicit: container affinity, onnxruntime #8313). */
  threads: int(1, 256).default(Math.max(1, Math.min(4, availableParallelism()))),
  interOpThreads: int(1, 64).default(1),
  graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
  /** Models whose warm run takes at most this (ms) run on the JS thread; slower ones in their own process. */
  inlineMaxMs: z.coerce.number().min(0).max(60_000).default(DEFAULT_INLINE_MAX_MS),
  /** Versions kept on disk beyond those in use. */
  keepVersions: int(0, 100).default(2),
  /** Telemetry window until the desired state says otherwise. */
  windowMs: int(100, 86_400_000).default(60_000),
  /** Outbox bound in reports (overflow is dropped oldest-first and counted). */
  outboxMaxReports: int(1, 10_000_000).default(10_000),
  /** Reports in flight (sent, not yet acked). */
  maxInFlight: int(1, 1000).default(8),
  /** Tries of a failed model download or state write before the failure is reported. */
  applyRetries: int(1, 20).default(3),
  /** Pause before the first retry (ms; ×4 each time). */
  applyRetryMs: int(0, 3_600_000).default(2_000),
  /** Largest image decoded (pixels; larger answers 413 before decoding). */
  maxImagePixels: int(1, 1_000_000_000).default(16_000_000),
  /** Decoded bytes of all images in flight at once (more answers 503 busy). Default: two images at the limit. */
  maxDecodeBytes: int(1024, 2 ** 40).optional(),
  /** Largest `POST /v1/infer` body. */
  maxBodyBytes: int(1024, 1 << 30).default(16 * MiB),
  /** Longest wait between two reconnect attempts (ms; exponential backoff with jitter from 0.5 s up to this). */
  reconnectMaxMs: int(500, 3_600_000).default(60_000),
  /** How long after an inference its label is still accepted by `POST /v1/feedback` (ms; default 24 h). */
  feedbackTtlMs: int(1_000, 30 * 86_400_000).default(86_400_000),
  /** Predictions kept for late labels (oldest dropped first beyond it); 0 turns the feedback path off. */
  maxPredictions: int(0, 10_000_000).default(100_000),
  /** Byte budget of the images kept for review on the device (oldest evicted first); 0 keeps none. */
  reviewImageBytes: int(0, 2 ** 40).default(256 * MiB),
  /** Bandwidth bound of captured-sample uploads (bytes/s on average; telemetry always goes first). */
  captureUploadBytesPerS: int(1024, 2 ** 34).default(256 * 1024),
  /** Bound of the captured-sample queue (`capture.db`) in bytes; a sample that does not fit is dropped and counted. */
  captureQueueBytes: int(0, 2 ** 40).default(256 * MiB),
  /** MQTT URL override (default: from enrollment). */
  mqttUrl: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** Flag, env var and key of every setting (`--label` repeats and has no env var). */
export const SETTINGS = [
  ['data-dir', 'EDGEFLEET_AGENT_DATA_DIR', 'dataDir'],
  ['server', 'EDGEFLEET_SERVER', 'server'],
  ['token', 'EDGEFLEET_ENROLL_TOKEN', 'token'],
  ['device-id', 'EDGEFLEET_DEVICE_ID', 'deviceId'],
  ['http-host', 'EDGEFLEET_AGENT_HTTP_HOST', 'httpHost'],
  ['http-port', 'EDGEFLEET_AGENT_HTTP_PORT', 'httpPort'],
  ['api-allowed-hosts', 'EDGEFLEET_AGENT_API_ALLOWED_HOSTS', 'apiAllowedHosts'],
  ['fleet-key-sha256', 'EDGEFLEET_FLEET_KEY_SHA256', 'fleetKeySha256'],
  ['watch', 'EDGEFLEET_AGENT_WATCH', 'watch'],
  ['out', 'EDGEFLEET_AGENT_OUT', 'out'],
  ['threads', 'EDGEFLEET_AGENT_THREADS', 'threads'],
  ['inter-op-threads', 'EDGEFLEET_AGENT_INTER_OP_THREADS', 'interOpThreads'],
  ['graph-optimization', 'EDGEFLEET_AGENT_GRAPH_OPTIMIZATION', 'graphOptimization'],
  ['inline-max-ms', 'EDGEFLEET_AGENT_INLINE_MAX_MS', 'inlineMaxMs'],
  ['keep-versions', 'EDGEFLEET_AGENT_KEEP_VERSIONS', 'keepVersions'],
  ['window-ms', 'EDGEFLEET_AGENT_WINDOW_MS', 'windowMs'],
  ['outbox-max-reports', 'EDGEFLEET_AGENT_OUTBOX_MAX_REPORTS', 'outboxMaxReports'],
  ['max-in-flight', 'EDGEFLEET_AGENT_MAX_IN_FLIGHT', 'maxInFlight'],
  ['apply-retries', 'EDGEFLEET_AGENT_APPLY_RETRIES', 'applyRetries'],
  ['apply-retry-ms', 'EDGEFLEET_AGENT_APPLY_RETRY_MS', 'applyRetryMs'],
  ['max-body-bytes', 'EDGEFLEET_AGENT_MAX_BODY_BYTES', 'maxBodyBytes'],
  ['max-image-pixels', 'EDGEFLEET_AGENT_MAX_IMAGE_PIXELS', 'maxImagePixels'],
  ['max-decode-bytes', 'EDGEFLEET_AGENT_MAX_DECODE_BYTES', 'maxDecodeBytes'],
  ['reconnect-max-ms', 'EDGEFLEET_AGENT_RECONNECT_MAX_MS', 'reconnectMaxMs'],
  ['feedback-ttl-ms', 'EDGEFLEET_AGENT_FEEDBACK_TTL_MS', 'feedbackTtlMs'],
  ['max-predictions', 'EDGEFLEET_AGENT_MAX_PREDICTIONS', 'maxPredictions'],
  ['review-image-bytes', 'EDGEFLEET_AGENT_REVIEW_IMAGE_BYTES', 'reviewImageBytes'],
  ['capture-upload-bytes-per-s', 'EDGEFLEET_AGENT_CAPTURE_UPLOAD_BYTES_PER_S', 'captureUploadBytesPerS'],
  ['capture-queue-bytes', 'EDGEFLEET_AGENT_CAPTURE_QUEUE_BYTES', 'captureQueueBytes'],
  ['mqtt-url', 'EDGEFLEET_AGENT_MQTT_URL', 'mqttUrl'],
  ['log-level', 'EDGEFLEET_AGENT_LOG_LEVEL', 'logLevel'],
] as const satisfies readonly (readonly [string, string, keyof AgentConfig])[];

/** Builds a full config from explicit values; a relative dataDir resolves against cwd. Throws on bad values. */
export function resolveAgentConfig(input: AgentConfigInput = {}): AgentConfig {
  const parsed = agentConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config');
    const setting = SETTINGS.find(([, , k]) => k === key);
    const name = setting ? `--${setting[0]} / ${setting[1]}` : key;
    throw new Error(`invalid setting ${name}: ${issue?.message}`);
  }
  const config = parsed.data;
  if (!isAbsolute(config.dataDir)) config.dataDir = resolve(config.dataDir);
  return config;
}

/** Reads flags (win) and env (`EDGEFLEET_AGENT_*`, …) into a config; returns the positionals too. */
export function loadAgentConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { config: AgentConfig; positionals: string[] } {
  const options: Record<string, { type: 'string'; multiple?: boolean }> = {
    label: { type: 'string', multiple: true },
  };
  for (const [flag] of SETTINGS) options[flag] = { type: 'string' };
  const { values, positionals } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: true,
  });
  const input: Record<string, unknown> = {};
  for (const [flag, envName, key] of SETTINGS) {
    const value = (values[flag] as string | undefined) ?? env[envName];
    if (value !== undefined) input[key] = value;
  }
  const labels: Record<string, string> = {};
  for (const pair of (values.label as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`invalid --label ${JSON.stringify(pair)}: expected k=v`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  input.labels = labels;
  return { config: resolveAgentConfig(input as AgentConfigInput), positionals };
}
