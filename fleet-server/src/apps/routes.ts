import { idSchema } from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';
import { createApp, deleteApp, getApp, listApps, patchApp, toAppView } from './registry';

const appSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    publishableKey: z.string(),
    allowedOrigins: z.array(z.string()),
    createdAt: z.number().int(),
    disabled: z.boolean(),
    planRev: z.number().int(),
  })
  .openapi('App');

const originSchema = z
  .string()
  .regex(/^https?:\/\/[^\s/]+$/, 'expected an origin like https://shop.example.com');
const idParam = z.object({ id: idSchema });
const appsPath = `${API_PREFIX}/apps`;

const createAppRoute = createRoute({
  method: 'post',
  path: appsPath,
  tags: ['apps'],
  summary: 'Create a web app and its publishable key',
  security: [...SECURITY.admin],
  request: {
    body: jsonBody(
      z.object({
        id: idSchema.optional(),
        name: z.string().min(1).max(128),
        allowedOrigins: z.array(originSchema).max(32).default([]),
      }),
    ),
  },
  responses: { 201: jsonResponse(appSchema, 'Created'), ...errorResponses(400, 401, 403, 409, 413) },
});
const listAppsRoute = createRoute({
  method: 'get',
  path: appsPath,
  tags: ['apps'],
  summary: 'List apps',
  security: [...SECURITY.admin],
  responses: {
    200: jsonResponse(z.object({ apps: z.array(appSchema) }), 'Apps'),
    ...errorResponses(401, 403),
  },
});
const getAppRoute = createRoute({
  method: 'get',
  path: `${appsPath}/{id}`,
  tags: ['apps'],
  summary: 'One app',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 200: jsonResponse(appSchema, 'The app'), ...errorResponses(400, 401, 403, 404) },
});
const patchAppRoute = createRoute({
  method: 'patch',
  path: `${appsPath}/{id}`,
  tags: ['apps'],
  summary: 'Rename, set origins, disable/enable, or rotate the publishable key',
  security: [...SECURITY.admin],
  request: {
    params: idParam,
    body: jsonBody(
      z.strictObject({
        name: z.string().min(1).max(128).optional(),
        allowedOrigins: z.array(originSchema).max(32).optional(),
        disabled: z.boolean().optional(),
        rotateKey: z.boolean().optional(),
      }),
    ),
  },
  responses: { 200: jsonResponse(appSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409, 413) },
});
const deleteAppRoute = createRoute({
  method: 'delete',
  path: `${appsPath}/{id}`,
  tags: ['apps'],
  summary: 'Delete an app',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) },
});
const planRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/app/plan`,
  tags: ['apps'],
  summary:
    "The calling app's plan (publishable key; rate-limited). `plan` is null until a rollout targets the app",
  security: [...SECURITY.app],
  responses: {
    200: jsonResponse(
      z.object({
        appId: z.string(),
        rev: z.number().int(),
        plan: z.record(z.string(), z.unknown()).nullable(),
      }),
      'The app plan',
    ),
    ...errorResponses(401, 403, 429),
  },
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
