import { apiRoute, ROLLOUT_ACTIONS } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import type { Principal } from '../http/env';
import { contractRoute, SECURITY } from '../http/openapi';
import type { RolloutController } from './controller';
import { createRollout, rolloutDetail, rolloutSummary } from './service';
import { getRolloutRow, listRolloutRows } from './store';

const tags = ['rollouts'];

const createRoute_ = contractRoute(apiRoute('POST /api/v1/rollouts'), {
  tags,
  summary: 'Create a staged rollout of a model version',
  security: SECURITY.admin,
  responses: { 201: 'Created (scheduled)' },
  errors: [400, 401, 403, 409, 413],
});
const listRoute = contractRoute(apiRoute('GET /api/v1/rollouts'), {
  tags,
  summary: 'List rollouts, newest first',
  security: SECURITY.admin,
  errors: [400, 401, 403],
});
const showRoute = contractRoute(apiRoute('GET /api/v1/rollouts/{id}'), {
  tags,
  summary: 'A rollout: stage, progress, gate values against thresholds, targets by state, audit log',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

const actionRoutes = ROLLOUT_ACTIONS.map((action) => ({
  action,
  route: contractRoute(apiRoute(`POST /api/v1/rollouts/{id}/${action}`), {
    tags,
    summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rollout (audited with who and why)`,
    security: SECURITY.admin,
    responses: { 200: 'Done' },
    errors: [400, 401, 403, 404, 409],
  }),
}));

/** `admin:<token id>`: who did it, for the audit log. */
const actorOf = (principal: Principal) =>
  principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;

/** `/api/v1/rollouts`: create, list, show, and the admin actions. */
export function registerRolloutRoutes(
  app: FleetApp,
  ctx: ServerContext,
  controller: RolloutController,
): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createRoute_, middleware: [admin] }, (c) => {
    const row = createRollout(ctx, c.req.valid('json'), actorOf(c.get('principal')));
    return c.json(rolloutDetail(ctx, row), 201);
  });
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const rows = listRolloutRows(ctx.db, c.req.valid('query'));
    return c.json({ rollouts: rows.map(rolloutSummary) }, 200);
  });
  app.openapi({ ...showRoute, middleware: [admin] }, (c) =>
    c.json(rolloutDetail(ctx, getRolloutRow(ctx.db, c.req.valid('param').id)), 200),
  );
  for (const { action, route } of actionRoutes) {
    app.openapi({ ...route, middleware: [admin] }, async (c) => {
      const { id } = c.req.valid('param');
      const body = (c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined) ?? {};
      const transition = await controller.act(id, action, actorOf(c.get('principal')), body.reason ?? '');
      return c.json({ transition, rollout: rolloutDetail(ctx, getRolloutRow(ctx.db, id)) }, 200);
    });
  }
}
