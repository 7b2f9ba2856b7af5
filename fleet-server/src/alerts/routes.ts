import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { EventBus } from '../events/bus';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';
import { acknowledgeAlert, listAlerts, toAlertView } from './store';

const KINDS = ['gate_breach', 'apply_failed', 'device_silent', 'drift'] as const;

const alertSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(KINDS),
    key: z.string(),
    severity: z.enum(['warning', 'critical']),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    subject: z.record(z.string(), z.unknown()),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    firstSeenAt: z.number().int(),
    lastSeenAt: z.number().int(),
    count: z.number().int(),
    resolvedAt: z.number().int().nullable(),
    acknowledgedAt: z.number().int().nullable(),
    acknowledgedBy: z.string().nullable(),
    ackNote: z.string().nullable(),
  })
  .openapi('Alert');

const listRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/alerts`,
  tags: ['monitoring'],
  summary: 'Alerts, most recently seen first',
  description:
    '`open`: unresolved and not acknowledged; `acknowledged`: unresolved and acknowledged; `resolved`: the ' +
    'condition cleared. Kinds: gate_breach, apply_failed, device_silent, drift.',
  security: [...SECURITY.admin],
  request: {
    query: z.object({
      status: z.enum(['open', 'acknowledged', 'resolved', 'all']).default('open'),
      kind: z
        .union([z.enum(KINDS), z.literal('')])
        .optional()
        .openapi({ description: 'one kind; empty or absent: every kind' }),
      limit: z.coerce.number().int().min(1).max(1_000).default(100),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ alerts: z.array(alertSchema) }).openapi('Alerts'), 'Alerts'),
    ...errorResponses(400, 401, 403),
  },
});

const ackRoute = createRoute({
  method: 'post',
  path: `${API_PREFIX}/alerts/{id}/ack`,
  tags: ['monitoring'],
  summary: 'Acknowledge an alert (once)',
  security: [...SECURITY.admin],
  request: {
    params: z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
    body: { ...jsonBody(z.object({ note: z.string().max(1_000).optional() }).strict()), required: false },
  },
  responses: {
    200: jsonResponse(alertSchema, 'The acknowledged alert'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
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
