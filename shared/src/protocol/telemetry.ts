import { captureCountersSchema } from '../capture/counters';
import { profileJsonSchema } from '../profile/profile-json';
import { z } from '../zod';
import { checkFeedbackAgainstWindow, feedbackAggregateSchema } from './feedback';
import {
  countSchema,
  hashHexSchema,
  idSchema,
  modelVersionSchema,
  textSchema,
  timestampMsSchema,
  tokenSchema,
} from './primitives';
import { PROTOCOL_VERSION } from './version';

/** Where and how inference ran, as measured by the client (not as configured). */
export const runtimeInfoSchema = z.object({
  /** Backend actually in use (`cpu`, `cuda`, `webgpu`, `wasm`, …). */
  backend: tokenSchema,
  /** Threads actually in use (WASM silently drops to 1 without cross-origin isolation). */
  threads: z.int().check(z.gte(0), z.lte(4096)),
  /** GPU adapter description, when a GPU backend runs. */
  adapter: z.optional(textSchema(256)),
  /** Why a preferred backend was not used, e.g. `requestAdapter() returned null`. */
  fallbackReason: z.optional(textSchema(512)),
  /** Version of the inference runtime (onnxruntime-node / -web). */
  runtimeVersion: z.optional(textSchema(64)),
});
/** Where and how inference ran. */
export type RuntimeInfo = z.infer<typeof runtimeInfoSchema>;

/** Largest byte count in {@link softwareMetricsSchema} (1 PiB). */
export const MAX_SOFTWARE_BYTES = 2 ** 50;
/** Largest duration in {@link softwareMetricsSchema} (about 31 years, in ms). */
export const MAX_SOFTWARE_MS = 1e12;

const bytesSchema = z.int().check(z.gte(0), z.lte(MAX_SOFTWARE_BYTES));
const durationMsSchema = z.number().check(z.gte(0), z.lte(MAX_SOFTWARE_MS));

/**
 * Software metrics of the client over the window: process metrics (Node agents; browsers have no such figures
 * and leave them out) and the data capture's counters (agents and browsers). The same for every report of one
 * window: they measure the client, not a model version.
 */
export const softwareMetricsSchema = z.object({
  /** Resident set size at the window end, in bytes. */
  rssBytes: z.optional(bytesSchema),
  /** V8 heap in use at the window end, in bytes. */
  heapUsedBytes: z.optional(bytesSchema),
  /** CPU time in user mode over the window, in ms (may exceed the window on several cores). */
  cpuUserMs: z.optional(durationMsSchema),
  /** CPU time in kernel mode over the window, in ms. */
  cpuSystemMs: z.optional(durationMsSchema),
  /** Median event-loop delay over the window, in ms. */
  eventLoopDelayP50Ms: z.optional(durationMsSchema),
  /** 99th percentile event-loop delay over the window, in ms. */
  eventLoopDelayP99Ms: z.optional(durationMsSchema),
  /** Largest event-loop delay over the window, in ms. */
  eventLoopDelayMaxMs: z.optional(durationMsSchema),
  /** The client's data capture since it started and its sample queue (absent: no capture policy ever applied). */
  capture: z.optional(captureCountersSchema),
});
/** Software metrics of one window. */
export type SoftwareMetrics = z.infer<typeof softwareMetricsSchema>;

/** What a full outbox did instead of losing data silently. */
export const overflowCountersSchema = z.object({
  /** Windows merged into coarser ones to make room. */
  mergedWindows: countSchema,
  /** Reports dropped since the epoch began. */
  droppedReports: countSchema,
  /** Inferences inside dropped reports. */
  droppedInferences: countSchema,
});
/** Outbox overflow counters. */
export type OverflowCounters = z.infer<typeof overflowCountersSchema>;

/**
 * One window of one model version on one client (`…/dev/{id}/telemetry`, `…/app/{appId}/telemetry`, or
 * HTTP). The server stores it once per `(clientId, epoch, seq)` and acks exactly the seqs it stored
 * (see {@link ackSchema}).
 */
export const telemetryReportSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    clientId: idSchema,
    epoch: countSchema,
    seq: countSchema,
    window: z.object({ startMs: timestampMsSchema, endMs: timestampMsSchema }),
    model: z.object({ name: idSchema, version: modelVersionSchema }),
    role: z.enum(['active', 'shadow']),
    specHash: hashHexSchema,
    /** The window's statistics; `Profile.fromJSON` re-checks the sketches inside before merging. */
    profile: profileJsonSchema,
    runtime: runtimeInfoSchema,
    /** Software metrics over the window: process figures (agents) and capture counters (agents, browsers); optional. */
    software: z.optional(softwareMetricsSchema),
    overflow: overflowCountersSchema,
    /** Operator feedback of the window (active role only); optional (older clients and unlabelled windows). */
    feedback: z.optional(feedbackAggregateSchema),
  })
  .check(
    z.refine((report) => report.window.endMs >= report.window.startMs, {
      message: 'expected window.endMs >= window.startMs',
      path: ['window', 'endMs'],
    }),
    z.refine((report) => report.profile.specHash === report.specHash, {
      message: 'expected profile.specHash to equal the report specHash',
      path: ['profile', 'specHash'],
    }),
    z.superRefine((report, ctx) => {
      if (!report.feedback) return;
      if (report.role !== 'active')
        ctx.addIssue({
          code: 'custom',
          message: 'expected feedback only in an active report',
          path: ['feedback'],
        });
      const checked = checkFeedbackAgainstWindow(report.feedback, report.profile.inferences);
      if (!checked.ok)
        ctx.addIssue({
          code: 'custom',
          message: checked.error.message,
          path: (checked.error.path ?? 'feedback').split('.'),
        });
    }),
  );
/** One telemetry window report. */
export type TelemetryReport = z.infer<typeof telemetryReportSchema>;

/** Most reports in one HTTP telemetry batch. */
export const MAX_REPORTS_PER_BATCH = 64;

/** Body of an HTTP telemetry `POST` (also used by `sendBeacon` on page hide). */
export const telemetryBatchSchema = z.object({
  reports: z.array(telemetryReportSchema).check(z.minLength(1), z.maxLength(MAX_REPORTS_PER_BATCH)),
});
/** Body of an HTTP telemetry `POST`. */
export type TelemetryBatch = z.infer<typeof telemetryBatchSchema>;

/**
 * Most seqs one ack names. With the longest ids and safe-integer counters a full ack stays under
 * `MAX_ACK_BYTES`, so a server splits longer lists over several acks.
 */
export const MAX_ACK_SEQS = 40;

/**
 * Acknowledgement (`…/dev/{id}/ack`, or per client and epoch in the HTTP response). `seq` is the highest
 * stored seq of `epoch` (what protocol-1 servers send alone); `seqs` names exactly the reports of `epoch`
 * this ack confirms — stored now or before (duplicates) — and is what a client deletes. A client that gets
 * no `seqs` (an older server) may only assume every report up to `seq`; a client that ignores `seqs` (an
 * older agent) keeps working as before.
 */
export const ackSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    clientId: idSchema,
    epoch: countSchema,
    seq: countSchema,
    seqs: z.optional(z.array(countSchema).check(z.minLength(1), z.maxLength(MAX_ACK_SEQS))),
  })
  .check(
    z.refine((ack) => ack.seqs === undefined || ack.seqs.every((s) => s <= ack.seq), {
      message: 'expected every seqs entry <= seq (the highest stored seq)',
      path: ['seqs'],
    }),
  );
/** Acknowledgement of stored reports. */
export type Ack = z.infer<typeof ackSchema>;
