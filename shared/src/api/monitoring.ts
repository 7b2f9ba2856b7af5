import { z } from 'zod';
import { idSchema, modelVersionSchema } from '../protocol/primitives';
import { runtimeInfoSchema, softwareMetricsSchema } from '../protocol/telemetry';
import { idParamsSchema } from './devices';
import { profileJsonApiSchema, versionParamsSchema } from './models';
import { API_PREFIX, defineRoute } from './route';

const ROLES = ['active', 'shadow'] as const;
const DRIFT_VERDICTS = ['ok', 'warn', 'alert', 'insufficient'] as const;

/** Latency quantiles in ms (null when nothing was measured). */
export const quantilesSchema = z
  .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
  .meta({ id: 'LatencyQuantiles', example: { p50: 12.1, p95: 30.4, p99: 51.9 } });

/** Drift of one input or output feature, current window against the baseline. */
export const featureDriftSchema = z
  .object({
    name: z.string(),
    baselineCount: z.number(),
    currentCount: z.number(),
    currentMissing: z.number(),
    psi: z.number().nullable(),
    js: z.number().nullable(),
    ksD: z.number().nullable(),
    wassersteinNorm: z.number().nullable(),
    verdict: z.enum(DRIFT_VERDICTS),
    reasons: z.array(z.string()),
  })
  .meta({
    id: 'FeatureDrift',
    example: {
      name: 'brightness',
      baselineCount: 300,
      currentCount: 1200,
      currentMissing: 0,
      psi: 0.31,
      js: 0.12,
      ksD: 0.2,
      wassersteinNorm: 0.4,
      verdict: 'alert',
      reasons: ['psi 0.31 >= alert 0.25'],
    },
  });

/** Drift of the top-1 class mix. */
export const classDriftSchema = z
  .object({
    labels: z.array(z.string()),
    baselineCounts: z.array(z.number()),
    currentCounts: z.array(z.number()),
    js: z.number().nullable(),
    chiSquare: z.object({ statistic: z.number(), pValue: z.number(), dof: z.number() }).nullable(),
    verdict: z.enum(DRIFT_VERDICTS),
    reasons: z.array(z.string()),
  })
  .meta({
    id: 'ClassDrift',
    example: {
      labels: ['0', '180'],
      baselineCounts: [280, 20],
      currentCounts: [1100, 100],
      js: 0.02,
      chiSquare: { statistic: 0.4, pValue: 0.52, dof: 1 },
      verdict: 'ok',
      reasons: [],
    },
  });

/** Drift of a current profile against its baseline. */
export const driftReportSchema = z
  .object({
    specHash: z.string(),
    verdict: z.enum(DRIFT_VERDICTS),
    inputs: z.array(featureDriftSchema),
    outputs: z.array(featureDriftSchema),
    classes: classDriftSchema.nullable(),
  })
  .meta({
    id: 'DriftReport',
    example: { specHash: '5f0c9a8b7e6d4c3b', verdict: 'ok', inputs: [], outputs: [], classes: null },
  });

const stageQuantilesSchema = quantilesSchema.extend({ count: z.number() });

/** `GET …/metrics`: a version's merged profile, latency, error rate and drift over whole hours of a range. */
export const versionMetricsSchema = z
  .object({
    model: z.object({ name: idSchema, version: modelVersionSchema }),
    role: z.enum(ROLES),
    fromMs: z.int(),
    toMs: z.int(),
    reports: z.int(),
    devices: z.int(),
    apps: z.int(),
    inferences: z.number(),
    errors: z.number(),
    errorsByKind: z.record(z.string(), z.number()),
    errorRate: z.number().nullable(),
    latencyMs: z.object({
      preprocess: stageQuantilesSchema,
      infer: stageQuantilesSchema,
      total: stageQuantilesSchema,
    }),
    drift: driftReportSchema.nullable(),
    profile: profileJsonApiSchema.nullable(),
  })
  .meta({
    id: 'VersionMetrics',
    example: {
      model: { name: 'cls', version: '1.1.0' },
      role: 'active',
      fromMs: 1764000000000,
      toMs: 1764086400000,
      reports: 0,
      devices: 0,
      apps: 0,
      inferences: 0,
      errors: 0,
      errorsByKind: {},
      errorRate: null,
      latencyMs: {
        preprocess: { count: 0, p50: null, p95: null, p99: null },
        infer: { count: 0, p50: null, p95: null, p99: null },
        total: { count: 0, p50: null, p95: null, p99: null },
      },
      drift: null,
      profile: null,
    },
  });
/** A version's metrics over a range. */
export type VersionMetricsView = z.infer<typeof versionMetricsSchema>;

/** A time range and slice of a version's telemetry: `[from, to)` (default: the last 24 h), devices by selector. */
export const rangeQuerySchema = z.object({
  from: z.coerce
    .number<number>()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'ms since epoch; default to − 24 h' }),
  to: z.coerce
    .number<number>()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'ms since epoch (exclusive); default now' }),
  selector: z.string().max(4096).optional().meta({
    description: 'device label selector, e.g. site=plant-a (leaves browser reports out; empty: no slice)',
  }),
  role: z.enum(ROLES).default('active'),
});

/** Query of `GET …/metrics`. */
export const versionMetricsQuerySchema = rangeQuerySchema;

/** PSI and Jensen-Shannon distance of one feature (null when either side has no data). */
export const driftDistancesSchema = z
  .object({ psi: z.number().nullable(), js: z.number().nullable() })
  .meta({ id: 'DriftDistances', example: { psi: 0.05, js: 0.03 } });
/** PSI and Jensen-Shannon distance of one feature. */
export type DriftDistances = z.infer<typeof driftDistancesSchema>;

/** Drift of one bucket against the version's baseline profile. */
export const pointDriftSchema = z
  .object({
    inputs: z.record(z.string(), driftDistancesSchema),
    /** The worst output feature (highest PSI and highest JS); null without outputs. */
    output: driftDistancesSchema.nullable(),
    outputs: z.record(z.string(), driftDistancesSchema),
    /** Jensen-Shannon distance of the top-1 class mix; null without classes. */
    classesJs: z.number().nullable(),
    maxPsi: z.number().nullable(),
    maxJs: z.number().nullable(),
  })
  .meta({
    id: 'PointDrift',
    example: {
      inputs: { brightness: { psi: 0.05, js: 0.03 } },
      output: { psi: 0.01, js: 0.02 },
      outputs: { confidence: { psi: 0.01, js: 0.02 } },
      classesJs: 0.01,
      maxPsi: 0.05,
      maxJs: 0.03,
    },
  });
/** Drift of one bucket. */
export type PointDrift = z.infer<typeof pointDriftSchema>;

/** One bucket of a version's timeseries; it holds reports whose window ends in `[t, t + stepMs)`. */
export const timeseriesPointSchema = z
  .object({
    t: z.int(),
    reports: z.int(),
    inferences: z.number(),
    errors: z.number(),
    errorRate: z.number().nullable(),
    /** End-to-end latency quantiles (the `infer` stage when a client measured no end-to-end latency). */
    latencyMs: quantilesSchema.nullable(),
    drift: pointDriftSchema.nullable(),
    /** Share of each top-1 class label (`(other)`, `(missing)` for folded and null outputs). */
    classMix: z.record(z.string(), z.number()).nullable(),
    /** Median (interpolated over the baseline bins) and mean of the `confidence` output. */
    confidence: z.object({ p50: z.number().nullable(), mean: z.number() }).nullable(),
  })
  .meta({
    id: 'TimeseriesPoint',
    example: {
      t: 1764000000000,
      reports: 3,
      inferences: 180,
      errors: 1,
      errorRate: 1 / 180,
      latencyMs: { p50: 12.1, p95: 30.4, p99: 51.9 },
      drift: { inputs: {}, output: null, outputs: {}, classesJs: 0.01, maxPsi: 0.05, maxJs: 0.03 },
      classMix: { '0': 0.9, '180': 0.1 },
      confidence: { p50: 0.93, mean: 0.91 },
    },
  });
/** One bucket of a version's timeseries. */
export type TimeseriesPoint = z.infer<typeof timeseriesPointSchema>;

/** `GET …/timeseries`: points of `stepMs` from `from` (aligned down to a multiple of stepMs) to `to`. */
export const timeseriesSchema = z
  .object({
    model: idSchema,
    version: modelVersionSchema,
    role: z.enum(ROLES),
    from: z.int(),
    to: z.int(),
    stepMs: z.int(),
    /** `reports` (raw window reports, stepMs < 1 h) or `aggregates` (hourly merged rows, stepMs ≥ 1 h). */
    source: z.enum(['reports', 'aggregates']),
    rowsRead: z.int(),
    /** The row budget ran out: only points from `coveredFrom` on are complete, and only they are returned. */
    truncated: z.boolean(),
    coveredFrom: z.int(),
    hasBaseline: z.boolean(),
    points: z.array(timeseriesPointSchema),
  })
  .meta({
    id: 'VersionTimeseries',
    example: {
      model: 'cls',
      version: '1.1.0',
      role: 'active',
      from: 1764000000000,
      to: 1764003600000,
      stepMs: 60_000,
      source: 'reports',
      rowsRead: 0,
      truncated: false,
      coveredFrom: 1764000000000,
      hasBaseline: true,
      points: [],
    },
  });
/** A version's timeseries. */
export type Timeseries = z.infer<typeof timeseriesSchema>;

/** Query of `GET …/timeseries`: the range, a bucket width and optionally one device. */
export const timeseriesQuerySchema = rangeQuerySchema.extend({
  stepMs: z.coerce
    .number<number>()
    .int()
    .min(1_000)
    .max(7 * 24 * 3_600_000)
    .optional()
    .meta({ description: 'bucket width; default: about 200 points' }),
  device: z
    .union([idSchema, z.literal('')])
    .optional()
    .meta({ description: 'one device id; empty or absent: every source' }),
});
/** Query of `GET …/timeseries` as a client sends it. */
export type TimeseriesQueryInput = z.input<typeof timeseriesQuerySchema>;

/** Devices by state, by running version and by label. */
export const fleetOverviewSchema = z
  .object({
    devices: z.object({
      total: z.int(),
      online: z.int(),
      offline: z.int(),
      failing: z.int(),
      disabled: z.int(),
    }),
    /** Enabled devices by the active version they report running (`name@version`; `(none)` when none). */
    byVersion: z.record(z.string(), z.int()),
    /** Enabled devices by label key and value. */
    byLabel: z.record(z.string(), z.record(z.string(), z.int())),
    models: z.int(),
    rollouts: z.object({ active: z.int() }),
  })
  .meta({
    id: 'FleetOverview',
    example: {
      devices: { total: 6, online: 5, offline: 1, failing: 0, disabled: 0 },
      byVersion: { 'cls@1.0.0': 4, 'cls@1.1.0': 2 },
      byLabel: { site: { 'plant-a': 6 } },
      models: 1,
      rollouts: { active: 1 },
    },
  });
/** Devices by state, by running version and by label. */
export type FleetOverview = z.infer<typeof fleetOverviewSchema>;

/** One stored window report of a device. */
export const deviceReportSchema = z
  .object({
    id: z.int(),
    modelName: idSchema,
    modelVersion: modelVersionSchema,
    role: z.enum(ROLES),
    windowStartMs: z.int(),
    windowEndMs: z.int(),
    inferences: z.number(),
    errors: z.number(),
    /** End-to-end latency of the window; null when none was measured or the profile is not under a known spec. */
    latencyMs: quantilesSchema.nullable(),
    software: z.nullable(softwareMetricsSchema),
    runtime: runtimeInfoSchema,
    receivedAt: z.int(),
    status: z.string(),
  })
  .meta({
    id: 'DeviceReport',
    example: {
      id: 41,
      modelName: 'cls',
      modelVersion: '1.1.0',
      role: 'active',
      windowStartMs: 1764000000000,
      windowEndMs: 1764000060000,
      inferences: 120,
      errors: 0,
      latencyMs: { p50: 12.1, p95: 30.4, p99: 51.9 },
      software: null,
      runtime: { backend: 'cpu', threads: 2 },
      receivedAt: 1764000061000,
      status: 'merged',
    },
  });
/** One stored window report of a device. */
export type DeviceReport = z.infer<typeof deviceReportSchema>;

const versionPath = `${API_PREFIX}/models/{name}/versions/{version}`;

/** Monitoring reads: a version's metrics and timeseries, the fleet overview, a device's reports. */
export const monitoringRoutes = [
  defineRoute({
    method: 'get',
    path: `${versionPath}/metrics`,
    params: versionParamsSchema,
    query: versionMetricsQuerySchema,
    responses: { 200: versionMetricsSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${versionPath}/timeseries`,
    params: versionParamsSchema,
    query: timeseriesQuerySchema,
    responses: { 200: timeseriesSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/fleet/overview`,
    responses: { 200: fleetOverviewSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/devices/{id}/reports`,
    params: idParamsSchema,
    query: z.object({ limit: z.coerce.number<number>().int().min(1).max(200).default(20) }),
    responses: {
      200: z
        .object({ reports: z.array(deviceReportSchema) })
        .meta({ id: 'DeviceReports', example: { reports: [] } }),
    },
  }),
] as const;
