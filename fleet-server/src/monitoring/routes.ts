import { idSchema, modelVersionSchema } from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { InvalidInput, NotFound } from '../errors';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonResponse, SECURITY } from '../http/openapi';
import { MAX_SELECTOR_LENGTH, parseSelector } from '../labels/selector';
import type { SpecResolver } from '../telemetry';
import { deviceReports, MAX_DEVICE_REPORTS } from './device-reports';
import { fleetOverview } from './overview';
import { HOUR_MS, MAX_POINTS, pointCount, versionTimeseries } from './timeseries';

const MIN_STEP_MS = 1_000;
const MAX_STEP_MS = 7 * 24 * HOUR_MS;
/** Steps offered when the caller gives none: the smallest that fits the range in about 200 points. */
const NICE_STEPS_MS = [60_000, 300_000, 900_000, HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS, MAX_STEP_MS];

const quantilesSchema = z.object({
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
const distancesSchema = z.object({ psi: z.number().nullable(), js: z.number().nullable() });
const pointSchema = z.object({
  t: z.number().int(),
  reports: z.number().int(),
  inferences: z.number(),
  errors: z.number(),
  errorRate: z.number().nullable(),
  latencyMs: quantilesSchema.nullable(),
  drift: z
    .object({
      inputs: z.record(z.string(), distancesSchema),
      output: distancesSchema.nullable(),
      outputs: z.record(z.string(), distancesSchema),
      classesJs: z.number().nullable(),
      maxPsi: z.number().nullable(),
      maxJs: z.number().nullable(),
    })
    .nullable(),
  classMix: z.record(z.string(), z.number()).nullable(),
  confidence: z.object({ p50: z.number().nullable(), mean: z.number() }).nullable(),
});
const timeseriesSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    role: z.enum(['active', 'shadow']),
    from: z.number().int(),
    to: z.number().int(),
    stepMs: z.number().int(),
    source: z.enum(['reports', 'aggregates']),
    rowsRead: z.number().int(),
    truncated: z.boolean(),
    coveredFrom: z.number().int(),
    hasBaseline: z.boolean(),
    points: z.array(pointSchema),
  })
  .openapi('VersionTimeseries');

const timeseriesRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/models/{name}/versions/{version}/timeseries`,
  tags: ['monitoring'],
  summary: 'A version over time: counts, error rate, latency, drift, class mix and confidence per bucket',
  description:
    'Buckets of `stepMs` by report window end, `from` aligned down to a multiple of `stepMs`. stepMs < 1 h ' +
    'merges the raw window reports of each bucket; stepMs ≥ 1 h (a whole number of hours) merges the hourly ' +
    `aggregates (bucketed by window start hour). At most ${MAX_POINTS} points. One request reads at most ` +
    '`--timeseries-row-budget` rows, newest first; past it `truncated` is true and only the points from ' +
    '`coveredFrom` on are returned. Drift is against the version baseline (the shared drift code).',
  security: [...SECURITY.admin],
  request: {
    params: z.object({ name: idSchema, version: modelVersionSchema }),
    query: z.object({
      from: z.coerce
        .number()
        .int()
        .min(0)
        .optional()
        .openapi({ description: 'ms since epoch; default to − 24 h' }),
      to: z.coerce
        .number()
        .int()
        .min(1)
        .optional()
        .openapi({ description: 'ms since epoch (exclusive); default now' }),
      stepMs: z.coerce
        .number()
        .int()
        .min(MIN_STEP_MS)
        .max(MAX_STEP_MS)
        .optional()
        .openapi({ description: 'bucket width; default: about 200 points' }),
      selector: z
        .string()
        .max(MAX_SELECTOR_LENGTH)
        .optional()
        .openapi({ description: 'device label selector, e.g. site=plant-a (leaves browser reports out)' }),
      device: z
        .union([idSchema, z.literal('')])
        .optional()
        .openapi({ description: 'one device id; empty or absent: every source' }),
      role: z.enum(['active', 'shadow']).default('active'),
    }),
  },
  responses: {
    200: jsonResponse(timeseriesSchema, 'Points, oldest first'),
    ...errorResponses(400, 401, 403, 404),
  },
});

const overviewSchema = z
  .object({
    devices: z.object({
      total: z.number().int(),
      online: z.number().int(),
      offline: z.number().int(),
      failing: z.number().int(),
      disabled: z.number().int(),
    }),
    byVersion: z.record(z.string(), z.number().int()),
    byLabel: z.record(z.string(), z.record(z.string(), z.number().int())),
    models: z.number().int(),
    rollouts: z.object({ active: z.number().int() }),
  })
  .openapi('FleetOverview');

const overviewRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/fleet/overview`,
  tags: ['monitoring'],
  summary: 'Devices by state (online, offline, failing, disabled), by running version and by label',
  description:
    '`failing`: enabled devices whose last reported state carries deploy errors. `byVersion` and `byLabel` ' +
    'count enabled devices; `byLabel` keeps the 64 most used keys and 200 values per key (rest under `(other)`).',
  security: [...SECURITY.admin],
  responses: { 200: jsonResponse(overviewSchema, 'Overview'), ...errorResponses(401, 403) },
});

const deviceReportSchema = z.object({
  id: z.number().int(),
  modelName: z.string(),
  modelVersion: z.string(),
  role: z.enum(['active', 'shadow']),
  windowStartMs: z.number().int(),
  windowEndMs: z.number().int(),
  inferences: z.number(),
  errors: z.number(),
  latencyMs: quantilesSchema.nullable(),
  software: z.record(z.string(), z.number()).nullable(),
  runtime: z.record(z.string(), z.unknown()),
  receivedAt: z.number().int(),
  status: z.string(),
});

const deviceReportsRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/devices/{id}/reports`,
  tags: ['monitoring'],
  summary: 'The last window reports of a device, newest first',
  security: [...SECURITY.admin],
  request: {
    params: z.object({ id: idSchema }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_DEVICE_REPORTS).default(20) }),
  },
  responses: {
    200: jsonResponse(z.object({ reports: z.array(deviceReportSchema) }).openapi('DeviceReports'), 'Reports'),
    ...errorResponses(400, 401, 403, 404),
  },
});

/** The step giving about 200 points over the range. */
export function defaultStepMs(rangeMs: number): number {
  return NICE_STEPS_MS.find((step) => rangeMs / step <= 200) ?? MAX_STEP_MS;
}

/** `GET /models/{name}/versions/{version}/timeseries`, `GET /fleet/overview`, `GET /devices/{id}/reports`. */
export function registerMonitoringRoutes(app: FleetApp, ctx: ServerContext, specs: SpecResolver): void {
  const admin = requireAuth(ctx, 'admin');

  app.openapi({ ...timeseriesRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    const query = c.req.valid('query');
    const toMs = query.to ?? ctx.now();
    const fromMs = query.from ?? toMs - 24 * HOUR_MS;
    if (fromMs >= toMs) throw new InvalidInput('query.from: must be before to', { field: 'from' });
    const stepMs = query.stepMs ?? defaultStepMs(toMs - fromMs);
    if (stepMs >= HOUR_MS && stepMs % HOUR_MS !== 0) {
      throw new InvalidInput('query.stepMs: at or above 1 h it must be a whole number of hours', {
        field: 'stepMs',
      });
    }
    const points = pointCount(fromMs, toMs, stepMs);
    if (points > MAX_POINTS) {
      throw new InvalidInput(`query.stepMs: ${points} points asked, at most ${MAX_POINTS}; widen stepMs`, {
        field: 'stepMs',
        points,
        maxPoints: MAX_POINTS,
      });
    }
    // An empty selector means "no slice" (it would otherwise select every device and leave browsers out).
    const selector = query.selector?.trim() ? parseSelector(query.selector) : undefined;
    if (selector && !selector.ok) {
      throw new InvalidInput(`query.selector: ${selector.error.message}`, { field: 'selector' });
    }
    const v = schema.modelVersions;
    const exists = ctx.db
      .select({ id: v.id })
      .from(v)
      .where(and(eq(v.modelName, name), eq(v.version, version)))
      .get();
    if (!exists) throw new NotFound(`no model version ${name}@${version}`, { field: 'version' });
    const series = versionTimeseries(ctx.db, specs, {
      modelName: name,
      version,
      fromMs,
      toMs,
      stepMs,
      role: query.role,
      ...(selector?.ok ? { selector: selector.value } : {}),
      ...(query.device ? { deviceId: query.device } : {}),
      rowBudget: ctx.config.timeseriesRowBudget,
    });
    return c.json(series, 200);
  });

  app.openapi({ ...overviewRoute, middleware: [admin] }, (c) => c.json(fleetOverview(ctx.db), 200));

  app.openapi({ ...deviceReportsRoute, middleware: [admin] }, (c) => {
    const { id } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    return c.json({ reports: deviceReports(ctx.db, specs, id, limit) }, 200);
  });
}
