import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { createApp, deleteApp, getApp, listApps, patchApp, toAppView } from './registry';

const tags = ['apps'];
const admin = SECURITY.admin;

const createAppRoute = contractRoute(apiRoute('POST /api/v1/apps'), {
  tags,
  summary: 'Create a web app and its publishable key',
  security: admin,
  errors: [400, 401, 403, 409, 413],
});
const listAppsRoute = contractRoute(apiRoute('GET /api/v1/apps'), {
  tags,
  summary: 'List apps',
  security: admin,
  errors: [401, 403],
});
const getAppRoute = contractRoute(apiRoute('GET /api/v1/apps/{id}'), {
  tags,
  summary: 'One app',
  security: admin,
  errors: [400, 401, 403, 404],
});
const patchAppRoute = contractRoute(apiRoute('PATCH /api/v1/apps/{id}'), {
  tags,
  summary: 'Rename, set origins, disable/enable, or rotate the publishable key',
  security: admin,
  responses: { 200: 'Updated' },
  errors: [400, 401, 403, 404, 409, 413],
});
const deleteAppRoute = contractRoute(apiRoute('DELETE /api/v1/apps/{id}'), {
  tags,
  summary: 'Delete an app',
  security: admin,
  responses: { 204: 'Deleted' },
  errors: [400, 401, 403, 404],
});
const planRoute = contractRoute(apiRoute('GET /api/v1/app/plan'), {
  tags,
  summary:
    "The calling app's plan (publishable key; rate-limited). `plan` is null until a rollout targets the app",
  security: SECURITY.app,
  errors: [401, 403, 429],
});

/** App administration and the publishable-key plan route. */
export function registerAppRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createAppRoute, middleware: [admin] }, (c) =>
    c.json(toAppView(createApp(ctx, c.req.valid('json'))), 201),
  );
  app.openapi({ ...listAppsRoute, middleware: [admin] }, (c) =>
    c.json({ apps: listApps(ctx).map(toAppView) }, 200),
  );
  app.openapi({ ...getAppRoute, middleware: [admin] }, (c) =>
    c.json(toAppView(getApp(ctx, c.req.valid('param').id)), 200),
  );
  app.openapi({ ...patchAppRoute, middleware: [admin] }, (c) =>
    c.json(toAppView(patchApp(ctx, c.req.valid('param').id, c.req.valid('json'))), 200),
  );
  app.openapi({ ...deleteAppRoute, middleware: [admin] }, (c) => {
    deleteApp(ctx, c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi({ ...planRoute, middleware: [requireAuth(ctx, 'app')] }, (c) => {
    const principal = c.get('principal');
    const row = getApp(ctx, principal.kind === 'app' ? principal.appId : '');
    return c.json({ appId: row.id, rev: row.planRev, plan: row.plan }, 200);
  });
}
