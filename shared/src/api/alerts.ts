import { z } from 'zod';
import { API_PREFIX, defineRoute } from './route';

/** What raised an alert. */
export const ALERT_KINDS = [
  'gate_breach',
  'gate_inconclusive',
  'apply_failed',
  'device_silent',
  'drift',
  'quality',
  'change',
  'concept_drift',
  'storage',
] as const;
/** What raised an alert. */
export type AlertKind = (typeof ALERT_KINDS)[number];
/** How urgent an alert is. */
export const ALERT_SEVERITIES = ['warning', 'critical'] as const;
/** How urgent an alert is. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** `open`: unresolved, not acknowledged; `acknowledged`: unresolved, acknowledged; `resolved`: cleared. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
/** Where an alert is. */
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What an alert is about: a device, a rollout, or a model version (and role). */
export const alertSubjectSchema = z
  .object({
    deviceId: z.string().optional(),
    rolloutId: z.string().optional(),
    model: z.string().optional(),
    version: z.string().optional(),
    role: z.enum(['active', 'shadow']).optional(),
    candidate: z.string().optional(),
    baseline: z.string().nullable().optional(),
    selector: z
      .string()
      .optional()
      .meta({ description: 'the label slice judged (e.g. site=plant-a); absent: the fleet' }),
  })
  .meta({ id: 'AlertSubject', example: { deviceId: 'st-1', model: 'cls', version: '1.1.0' } });
/** What an alert is about. */
export type AlertSubject = z.infer<typeof alertSubjectSchema>;

const distances = z.object({ psi: z.number().nullable(), js: z.number().nullable() });

/** One tested quantity: its interval (an infinite side is null) against the threshold it is judged on. */
const boundSchema = z.object({
  test: z.string().meta({ description: 'input <name>, output <name> (PSI), error rate, latency p95' }),
  estimate: z.number().nullable(),
  lower: z.number().nullable(),
  upper: z.number().nullable(),
  confidence: z
    .number()
    .meta({ description: 'two-sided confidence of this interval (after the Bonferroni split)' }),
  threshold: z.number(),
});

/** The family one evaluation of a version was tested in (drift and quality alerts). */
const familyFields = {
  confidence: z
    .number()
    .meta({ description: 'family-wise: one evaluation errs with at most 1 − confidence' }),
  perTestConfidence: z.number(),
  tests: z.int().meta({ description: 'tests of the evaluation: features, error rate, latency, × slices' }),
  selector: z.string().nullable().meta({ description: 'the label slice, null for the whole fleet' }),
};

/** A `change` alert: the sequential test, its false-alarm rate and the streams whose CUSUM is past h. */
const changeDetailsSchema = z.object({
  test: z.literal('cusum').meta({ description: 'one-sided CUSUM on self-starting per-window scores' }),
  falseAlarmsPerDay: z
    .number()
    .meta({ description: 'expected false alerts per version (and role) and day, over all its streams' }),
  windowMs: z.int().meta({ description: 'window of the streams (the hourly aggregates)' }),
  k: z.number(),
  h: z.number(),
  arl0: z.number().meta({ description: 'in-control average run length of each stream (windows)' }),
  streamsTested: z.int().meta({ description: 'streams of the version (the Bonferroni family)' }),
  streams: z.array(
    z.object({
      stream: z.string().meta({ description: 'error_rate, latency, input:<name> or output:<name>' }),
      kind: z.enum(['error_rate', 'latency_tail', 'distribution']),
      cusum: z.number(),
      windows: z.int(),
      sinceMs: z
        .int()
        .nullable()
        .meta({ description: 'first window of the run: when the change likely began' }),
      lastScore: z.number().nullable(),
      effect: z
        .object({
          name: z.enum(['error_rate', 'share_above_p95', 'psi']),
          current: z.number(),
          reference: z.number().nullable(),
        })
        .nullable(),
    }),
  ),
});

const labelledRateSchema = z.object({
  labelled: z.int(),
  wrong: z.int(),
  rate: z.number().nullable(),
});

/** A `concept_drift` alert: the labelled error stream of a version (or a slice of it) rose, per its CUSUM. */
const conceptDriftDetailsSchema = z.object({
  test: z
    .literal('bernoulli_cusum')
    .meta({ description: 'one-sided CUSUM on the share of labels that disagree with the model, per batch' }),
  falseAlarmsPerDay: z
    .number()
    .meta({ description: 'expected false alerts per stream (version, or version × slice) and day' }),
  windowMs: z.int().meta({ description: 'hours, pooled into batches of at least minLabels labels' }),
  minLabels: z.int(),
  k: z.number(),
  h: z.number(),
  arl0: z.number(),
  slice: z
    .object({ key: z.string(), value: z.string().nullable() })
    .nullable()
    .meta({ description: 'the device label slice (key app: a web app), null for the whole version' }),
  cusum: z.number(),
  sinceMs: z.int().nullable().meta({ description: 'first batch of the run: when the change likely began' }),
  before: labelledRateSchema,
  after: labelledRateSchema,
});

/** What the condition measured, per kind. */
export const alertDetailsSchema = z
  .union([
    z.object({
      action: z.string(),
      stageIndex: z.int(),
      gates: z.array(
        z.object({
          gate: z.string(),
          value: z.number().nullable(),
          threshold: z.number(),
          bound: z.enum(['max', 'min']),
          status: z.string(),
          lower: z.number().nullable().optional(),
          upper: z.number().nullable().optional(),
          needMore: z.number().nullable().optional(),
        }),
      ),
    }),
    z.object({
      step: z.string(),
      error: z.string().nullable(),
      rev: z.int().nullable(),
      at: z.int().nullable(),
    }),
    z.object({ reason: z.string(), sinceMs: z.int() }),
    z.object({
      maxPsi: z.number().nullable(),
      maxJs: z.number().nullable(),
      inputs: z.record(z.string(), distances),
      outputs: z.record(z.string(), distances),
      inferences: z.number(),
      reports: z.int(),
      windowMs: z.int(),
      truncated: z.boolean(),
      test: z.literal('psi_lower_bound').optional(),
      bounds: z.array(boundSchema).optional(),
      confidence: familyFields.confidence.optional(),
      perTestConfidence: familyFields.perTestConfidence.optional(),
      tests: familyFields.tests.optional(),
      selector: familyFields.selector.optional(),
    }),
    z.object({
      test: z.literal('lower_bound'),
      bounds: z.array(boundSchema),
      inferences: z.number(),
      reports: z.int(),
      windowMs: z.int(),
      truncated: z.boolean(),
      ...familyFields,
    }),
    changeDetailsSchema,
    conceptDriftDetailsSchema,
    z.object({
      storage: z.enum(['full', 'readonly', 'io']),
      message: z.string(),
      sinceMs: z.int(),
      errors: z.int(),
    }),
  ])
  .meta({
    id: 'AlertDetails',
    description:
      'gate_breach and gate_inconclusive (a stage undecided at its deadline; the gates name how many more ' +
      'inferences would likely decide them): { action, stageIndex, gates }; apply_failed: { step, error, rev, at }; device_silent: ' +
      '{ reason, sinceMs }; drift: { maxPsi, maxJs, inputs, outputs, inferences, reports, windowMs, truncated }; ' +
      'quality: { test, bounds, confidence, perTestConfidence, tests, selector, inferences, reports, windowMs, ' +
      'truncated }; drift also carries { test, bounds, confidence, perTestConfidence, tests, selector }; ' +
      'change: { test, falseAlarmsPerDay, windowMs, k, h, arl0, streamsTested, streams }; ' +
      'concept_drift: { test, falseAlarmsPerDay, windowMs, minLabels, k, h, arl0, slice, cusum, sinceMs, before, after }; ' +
      'storage: { storage (full | readonly | io), message, sinceMs, errors }',
    example: { reason: 'no report', sinceMs: 1764000000000 },
  });
/** What the condition measured. */
export type AlertDetails = z.infer<typeof alertDetailsSchema>;

/** An alert: a condition that holds (or held), how often it was seen, and who acknowledged it. */
export const alertSchema = z
  .object({
    id: z.int(),
    kind: z.enum(ALERT_KINDS),
    /** Identifies the condition, e.g. `device_silent:st-1`. */
    key: z.string(),
    severity: z.enum(ALERT_SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    subject: alertSubjectSchema,
    message: z.string(),
    details: alertDetailsSchema,
    firstSeenAt: z.int(),
    lastSeenAt: z.int(),
    count: z.int(),
    resolvedAt: z.int().nullable(),
    acknowledgedAt: z.int().nullable(),
    acknowledgedBy: z.string().nullable(),
    ackNote: z.string().nullable(),
  })
  .meta({
    id: 'Alert',
    example: {
      id: 7,
      kind: 'device_silent',
      key: 'device_silent:st-1',
      severity: 'warning',
      status: 'open',
      subject: { deviceId: 'st-1' },
      message: 'device st-1 silent for 12 min (no report)',
      details: { reason: 'no report', sinceMs: 1764000000000 },
      firstSeenAt: 1764000720000,
      lastSeenAt: 1764000780000,
      count: 2,
      resolvedAt: null,
      acknowledgedAt: null,
      acknowledgedBy: null,
      ackNote: null,
    },
  });
/** An alert. */
export type Alert = z.infer<typeof alertSchema>;

/** Query of `GET /api/v1/alerts`. */
export const alertListQuerySchema = z.object({
  status: z.enum([...ALERT_STATUSES, 'all']).default('open'),
  kind: z
    .union([z.enum(ALERT_KINDS), z.literal('')])
    .optional()
    .meta({ description: 'one kind; empty or absent: every kind' }),
  limit: z.coerce.number<number>().int().min(1).max(1_000).default(100),
});

/** Alerts and their acknowledgement. */
export const alertRoutes = [
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/alerts`,
    query: alertListQuerySchema,
    responses: {
      200: z.object({ alerts: z.array(alertSchema) }).meta({ id: 'Alerts', example: { alerts: [] } }),
    },
  }),
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/alerts/{id}/ack`,
    params: z.object({ id: z.coerce.number<number>().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
    body: z
      .strictObject({ note: z.string().max(1_000).optional() })
      .meta({ id: 'AlertAck', example: { note: 'camera cleaned' } }),
    bodyOptional: true,
    responses: { 200: alertSchema },
  }),
] as const;
