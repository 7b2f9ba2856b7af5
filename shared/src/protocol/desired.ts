import { capturePolicySchema } from '../capture/policy';
import { z } from '../zod';
import { automationSchema } from './automation';
import { modelRefSchema } from './manifest';
import { idSchema, timestampMsSchema } from './primitives';
import { PROTOCOL_VERSION } from './version';

/** Default length of a telemetry window. */
export const DEFAULT_WINDOW_MS = 60_000;

/** How a client aggregates and sends telemetry. */
export const telemetryConfigSchema = z.object({
  /** Length of one aggregation window (1 s to 1 day). */
  windowMs: z.int().check(z.gte(1_000), z.lte(86_400_000)),
  /** Reports sent and not yet acknowledged at once. */
  maxInFlight: z.int().check(z.gte(1), z.lte(1_000)),
  /** Bound of the durable outbox in reports; beyond it windows are merged, then dropped and counted. */
  outboxMaxReports: z.int().check(z.gte(1), z.lte(1_000_000)),
});
/** How a client aggregates and sends telemetry. */
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;

/** What a client does around serving a model version. */
export const policiesSchema = z.object({
  /** `required`: a version without a passing golden pair is never served; `if_present`: check when the manifest names one. */
  golden: z.enum(['required', 'if_present']),
  /** Share of inferences (0..1) on which the shadow model also runs. */
  shadowSampleRate: z.number().check(z.gte(0), z.lte(1)),
  /** Per-inference time limit; an inference over it counts as a `timeout` error. */
  inferenceTimeoutMs: z.optional(z.int().check(z.gte(1), z.lte(600_000))),
});
/** What a client does around serving a model version. */
export type Policies = z.infer<typeof policiesSchema>;

/**
 * The full desired state of one device (retained on `…/dev/{id}/desired`). `rev` rises with every
 * change; a device ignores a rev at or below the one it applied. `active` serves, `shadow` runs beside
 * it without its outputs being returned, `standby` stays loaded so a blue-green switch back is instant.
 */
export const desiredStateSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  rev: z.int().check(z.gte(1)),
  deviceId: idSchema,
  issuedAt: timestampMsSchema,
  models: z.object({
    active: z.nullable(modelRefSchema),
    shadow: z.nullable(modelRefSchema),
    standby: z.nullable(modelRefSchema),
  }),
  telemetry: telemetryConfigSchema,
  policies: policiesSchema,
  /** How much the active model decides alone (see {@link automationSchema}); absent: `full`. */
  automation: z.optional(automationSchema),
  /** What the device captures of the active model's inputs (see {@link capturePolicySchema}); absent: nothing. */
  capture: z.optional(capturePolicySchema),
});
/** The full desired state of one device. */
export type DesiredState = z.infer<typeof desiredStateSchema>;
/** A desired state as the rollout controller decides it; the publisher stamps `v`, `rev`, `deviceId` and `issuedAt`. */
export type DesiredStateInput = Omit<DesiredState, 'v' | 'rev' | 'deviceId' | 'issuedAt'>;
