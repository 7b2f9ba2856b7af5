import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { EventBus } from '../events/bus';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { acknowledgeAlert, listAlerts, toAlertView } from './store';

const listRoute = contractRoute(apiRoute('GET /api/v1/alerts'), {
  tags: ['monitoring'],
  summary: 'Alerts, most recently seen first',
  description:
    '`open`: unresolved and not acknowledged; `acknowledged`: unresolved and acknowledged; `resolved`: the ' +
    'condition cleared. Kinds: gate_breach, apply_failed, device_silent, drift, quality, change, storage.',
  security: SECURITY.admin,
  errors: [400, 401, 403],
});

const ackRoute = contractRoute(apiRoute('POST /api/v1/alerts/{id}/ack'), {
  tags: ['monitoring'],
  summary: 'Acknowledge an alert (once)',
  security: SECURITY.admin,
  responses: { 200: 'The acknowledged alert' },
  errors: [400, 401, 403, 404, 409],
});

/** `GET /alerts` and `POST /alerts/{id}/ack`. */
export function registerAlertRoutes(app: FleetApp, ctx: ServerContext, bus: EventBus): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const { kind, ...query } = c.req.valid('query');
    const rows = listAlerts(ctx.db, { ...query, ...(kind ? { kind } : {}) });
    return c.json({ alerts: rows.map(toAlertView) }, 200);
  });
  app.openapi({ ...ackRoute, middleware: [admin] }, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const principal = c.get('principal');
    const by = principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;
    const row = acknowledgeAlert(ctx.db, id, by, body.note ?? null, ctx.now());
    const view = toAlertView(row);
    bus.publish({ type: 'alert', data: { id: row.id, kind: row.kind, status: view.status } });
    return c.json(view, 200);
  });
}
