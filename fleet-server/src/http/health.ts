import { apiRoute } from '@edgefleet/shared/api';
import type { ServerContext } from '../context';
import type { FleetApp } from './app';
import { contractRoute } from './openapi';

const healthRoute = contractRoute(apiRoute('GET /healthz'), {
  tags: ['system'],
  summary: 'Liveness, database read and storage write check',
  description:
    'Always 200 while the process answers (a liveness probe must not restart a server whose disk is full); ' +
    '`status: degraded` and `storage.status` (`full`, `readonly`, `io`) when writes fail. The storage check ' +
    'writes and fsyncs a small file in the data dir and one database row, at most once a second.',
  responses: { 200: 'Server and database are up; `storage` says whether writes work' },
  errors: [],
});

const readyRoute = contractRoute(apiRoute('GET /readyz'), {
  tags: ['system'],
  summary: 'Readiness: 503 while storage writes fail',
  description:
    'The body of `/healthz`; 503 while `storage.status` is not `ok`, for monitors that read status codes.',
  responses: {
    200: 'Ready: reads and writes work',
    503: 'Storage writes fail (disk full, read-only, I/O errors)',
  },
  errors: [],
});

const metricsRoute = contractRoute(apiRoute('GET /metrics'), {
  tags: ['system'],
  summary: 'Prometheus metrics (HTTP, database, storage, process; MQTT and ingest where running)',
  responses: { 200: 'Prometheus text format' },
  errors: [],
});

/** Least time between two storage probes run by health requests. */
const PROBE_GAP_MS = 1_000;

/** `/healthz`, `/readyz` and `/metrics`: unauthenticated, meant for the local network and the scraper. */
export function registerHealthRoutes(app: FleetApp, ctx: ServerContext): void {
  const startedMs = ctx.now();
  const health = () => {
    ctx.database.sqlite.prepare('select 1').get();
    const last = ctx.storage.state();
    const storage = ctx.now() - last.checkedAt >= PROBE_GAP_MS ? ctx.storage.probe() : last;
    return {
      status: storage.status === 'ok' ? ('ok' as const) : ('degraded' as const),
      fleet: ctx.config.fleet,
      db: 'ok' as const,
      storage,
      uptimeS: (ctx.now() - startedMs) / 1000,
    };
  };
  app.openapi(healthRoute, (c) => c.json(health(), 200));
  app.openapi(readyRoute, (c) => {
    const body = health();
    return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  });
  app.openapi(metricsRoute, async (c) => {
    const text = await ctx.metrics.registry.metrics();
    return c.text(text, 200, { 'content-type': ctx.metrics.registry.contentType });
  });
}
