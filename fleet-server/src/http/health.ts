import { apiRoute } from '@edgefleet/shared/api';
import type { ServerContext } from '../context';
import type { FleetApp } from './app';
import { contractRoute } from './openapi';

const healthRoute = contractRoute(apiRoute('GET /healthz'), {
  tags: ['system'],
  summary: 'Liveness and database check',
  responses: { 200: 'Server and database are up' },
  errors: [],
});

const metricsRoute = contractRoute(apiRoute('GET /metrics'), {
  tags: ['system'],
  summary: 'Prometheus metrics (HTTP, database, process; MQTT and ingest where running)',
  responses: { 200: 'Prometheus text format' },
  errors: [],
});

/** `/healthz` and `/metrics`: unauthenticated, meant for the local network and the scraper. */
export function registerHealthRoutes(app: FleetApp, ctx: ServerContext): void {
  const startedMs = ctx.now();
  app.openapi(healthRoute, (c) => {
    ctx.database.sqlite.prepare('select 1').get();
    return c.json(
      {
        status: 'ok' as const,
        fleet: ctx.config.fleet,
        db: 'ok' as const,
        uptimeS: (ctx.now() - startedMs) / 1000,
      },
      200,
    );
  });
  app.openapi(metricsRoute, async (c) => {
    const text = await ctx.metrics.registry.metrics();
    return c.text(text, 200, { 'content-type': ctx.metrics.registry.contentType });
  });
}
