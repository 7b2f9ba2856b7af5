import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput, NotFound } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import type { SpecResolver } from '../models';
import { versionExists } from '../models/registry';
import { deviceReports } from './device-reports';
import { fleetOverview } from './overview';
import { HOUR_MS, MAX_POINTS, pointCount, versionTimeseries } from './timeseries';
import { versionMetrics } from './version-metrics';

const MAX_STEP_MS = 7 * 24 * HOUR_MS;
/** Steps offered when the caller gives none: the smallest that fits the range in about 200 points. */
const NICE_STEPS_MS = [60_000, 300_000, 900_000, HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS, MAX_STEP_MS];

const tags = ['monitoring'];

const timeseriesRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}/timeseries'), {
  tags,
  summary: 'A version over time: counts, error rate, latency, drift, class mix and confidence per bucket',
  description:
    'Buckets of `stepMs` by report window end, `from` aligned down to a multiple of `stepMs`. stepMs < 1 h ' +
    'merges the raw window reports of each bucket; stepMs ≥ 1 h (a whole number of hours) merges the hourly ' +
    `aggregates (bucketed by window start hour). At most ${MAX_POINTS} points. One request reads at most ` +
    '`--timeseries-row-budget` rows, newest first; past it `truncated` is true and only the points from ' +
    '`coveredFrom` on are returned. Drift is against the version baseline (the shared drift code).',
  security: SECURITY.admin,
  responses: { 200: 'Points, oldest first' },
  errors: [400, 401, 403, 404],
});

const metricsRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}/metrics'), {
  tags,
  summary: 'Merged profile, latency p50/p95/p99, error rate and drift of a version over a time range',
  description: 'Merges the hourly aggregates of whole hours: `from` is rounded down, `to` up, to the hour.',
  security: SECURITY.admin,
  errors: [400, 401, 403],
});

const overviewRoute = contractRoute(apiRoute('GET /api/v1/fleet/overview'), {
  tags,
  summary: 'Devices by state (online, offline, failing, disabled), by running version and by label',
  description:
    '`failing`: enabled devices whose last reported state carries deploy errors. `byVersion` and `byLabel` ' +
    'count enabled devices; `byLabel` keeps the 64 most used keys and 200 values per key (rest under `(other)`).',
  security: SECURITY.admin,
  errors: [401, 403],
});

const deviceReportsRoute = contractRoute(apiRoute('GET /api/v1/devices/{id}/reports'), {
  tags,
  summary: 'The last window reports of a device, newest first',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

/** `[from, to)` of a query (default: the last 24 h) and its device selector (empty: no slice); 400 when unusable. */
function rangeOf(query: { from?: number; to?: number; selector?: string }, nowMs: number) {
  const toMs = query.to ?? nowMs;
  const fromMs = query.from ?? toMs - 24 * HOUR_MS;
  if (fromMs >= toMs) throw new InvalidInput('query.from: must be before to', { field: 'from' });
  // An empty selector means "no slice" (it would otherwise select every device and leave browsers out).
  const selector = query.selector?.trim() ? parseSelector(query.selector) : undefined;
  if (selector && !selector.ok) {
    throw new InvalidInput(`query.selector: ${selector.error.message}`, { field: 'selector' });
  }
  return { fromMs, toMs, ...(selector?.ok ? { selector: selector.value } : {}) };
}

/** The step giving about 200 points over the range. */
export function defaultStepMs(rangeMs: number): number {
  return NICE_STEPS_MS.find((step) => rangeMs / step <= 200) ?? MAX_STEP_MS;
}

/** Monitoring reads: a version's metrics and timeseries, the fleet overview, a device's reports. */
export function registerMonitoringRoutes(app: FleetApp, ctx: ServerContext, specs: SpecResolver): void {
  const admin = requireAuth(ctx, 'admin');

  app.openapi({ ...timeseriesRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    const query = c.req.valid('query');
    const { fromMs, toMs, selector } = rangeOf(query, ctx.now());
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
    if (!versionExists(ctx.db, name, version)) {
      throw new NotFound(`no model version ${name}@${version}`, { field: 'version' });
    }
    const series = versionTimeseries(ctx.db, specs, {
      modelName: name,
      version,
      fromMs,
      toMs,
      stepMs,
      role: query.role,
      ...(selector ? { selector } : {}),
      ...(query.device ? { deviceId: query.device } : {}),
      rowBudget: ctx.config.timeseriesRowBudget,
    });
    return c.json(series, 200);
  });

  app.openapi({ ...metricsRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    const query = c.req.valid('query');
    const range = rangeOf(query, ctx.now());
    return c.json(
      versionMetrics(ctx.db, specs, { modelName: name, version, role: query.role, ...range }),
      200,
    );
  });

  app.openapi({ ...overviewRoute, middleware: [admin] }, (c) => c.json(fleetOverview(ctx.db), 200));

  app.openapi({ ...deviceReportsRoute, middleware: [admin] }, (c) => {
    const { id } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    return c.json({ reports: deviceReports(ctx.db, specs, id, limit) }, 200);
  });
}
