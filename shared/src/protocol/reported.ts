import { z } from '../zod';
import {
  countSchema,
  idSchema,
  modelVersionIdSchema,
  textSchema,
  timestampMsSchema,
  tokenSchema,
} from './primitives';
import { PROTOCOL_VERSION } from './version';

/** Steps a client takes before serving a version; an error names the step that failed. */
export const DEPLOY_STEPS = [
  'parse',
  'download',
  'verify_sha256',
  'verify_signature',
  'load',
  'warmup',
  'golden',
  'activate',
  'infer',
] as const;
/** A step of deploying or serving a version. */
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** What a client can run. */
export const capabilitiesSchema = z.object({
  platform: z.enum(['node', 'browser']),
  os: z.optional(textSchema(64)),
  arch: z.optional(textSchema(32)),
  /** Inference backends available, best first (`cpu`, `cuda`, `webgpu`, `wasm`, …). */
  backends: z.array(tokenSchema).check(z.maxLength(16)),
  cpuCount: z.optional(z.int().check(z.gte(0), z.lte(65_536))),
  memoryBytes: z.optional(countSchema),
  storageBytes: z.optional(countSchema),
});
/** What a client can run. */
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** A failed step: which version, which rev, what went wrong. */
export const deployErrorSchema = z.object({
  step: z.enum(DEPLOY_STEPS),
  message: textSchema(1024),
  model: z.optional(modelVersionIdSchema),
  rev: z.optional(z.int().check(z.gte(0))),
  at: timestampMsSchema,
});
/** A failed step of deploying or serving a version. */
export type DeployError = z.infer<typeof deployErrorSchema>;

/** The versions a client actually has loaded, per role. */
export const runningModelsSchema = z.object({
  active: z.nullable(modelVersionIdSchema),
  shadow: z.nullable(modelVersionIdSchema),
  standby: z.nullable(modelVersionIdSchema),
});
/** The versions a client actually has loaded, per role. */
export type RunningModels = z.infer<typeof runningModelsSchema>;

/** How a client's telemetry storage is doing (agents): `full` and `error` mean windows are being lost, counted. */
export const storageHealthSchema = z.object({
  status: z.enum(['ok', 'full', 'error']),
  message: z.nullable(textSchema(512)),
  since: z.nullable(timestampMsSchema),
  /** Windows and inferences that could not be stored since the client started. */
  unstoredReports: countSchema,
  unstoredInferences: countSchema,
  /** Corrupt outbox files renamed aside since the client started. */
  quarantined: z.int().check(z.gte(0), z.lte(1_000_000)),
});
/** How a client's telemetry storage is doing. */
export type StorageHealth = z.infer<typeof storageHealthSchema>;

const reportedBase = {
  v: z.literal(PROTOCOL_VERSION),
  deviceId: idSchema,
  /** Rises at every client start; a presence or report from an older epoch is stale. */
  epoch: countSchema,
  /** Highest desired rev applied (0: none yet). */
  appliedRev: countSchema,
  agentVersion: textSchema(64),
  at: timestampMsSchema,
  /** Telemetry storage health (absent from older agents). */
  storage: z.optional(storageHealthSchema),
};

/** Published on every (re)connect; the server answers with the desired state if its rev is newer. */
export const helloSchema = z.object({
  type: z.literal('hello'),
  ...reportedBase,
  capabilities: capabilitiesSchema,
  running: runningModelsSchema,
});
/** Published on every (re)connect. */
export type Hello = z.infer<typeof helloSchema>;

/** The state a device runs after applying (or failing to apply) a desired state. */
export const stateReportSchema = z.object({
  type: z.literal('state'),
  ...reportedBase,
  running: runningModelsSchema,
  errors: z.array(deployErrorSchema).check(z.maxLength(32)),
  capabilities: z.optional(capabilitiesSchema),
});
/** The state a device runs. */
export type StateReport = z.infer<typeof stateReportSchema>;

/** A message on `…/dev/{id}/reported`: a hello or a state update. */
export const reportedSchema = z.discriminatedUnion('type', [helloSchema, stateReportSchema]);
/** A message on `…/dev/{id}/reported`. */
export type Reported = z.infer<typeof reportedSchema>;

/** Retained on `…/dev/{id}/presence`: `online` on connect, `offline` as the last will (ignored if its epoch is older). */
export const presenceSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  status: z.enum(['online', 'offline']),
  epoch: countSchema,
  at: timestampMsSchema,
});
/** Presence of a device. */
export type Presence = z.infer<typeof presenceSchema>;
