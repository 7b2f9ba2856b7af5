import { API_PREFIX } from '@edgefleet/shared/api';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { matchedRoutes } from 'hono/route';
import type { ServerContext } from '../context';
import { NotFound, PayloadTooLarge } from '../errors';
import { renderDocsPage } from './docs';
import type { AppEnv } from './env';
import { errorResponse, invalidInputFrom } from './errors';
import { closeConnectionOnUnreadBody } from './unread-body';

export { API_PREFIX } from '@edgefleet/shared/api';

/** The typed app every route module registers on. */
export type FleetApp = OpenAPIHono<AppEnv>;

/** Routes that limit their own bodies (artifact uploads, multipart reference sets, samples): no JSON body limit there. */
const STREAMED_BODY_PATHS = [`${API_PREFIX}/artifacts`, `${API_PREFIX}/baselines`, `${API_PREFIX}/samples`];

function routeLabel(c: Context): string {
  const routes = matchedRoutes(c).filter((route) => route.method !== 'ALL');
  return routes.at(-1)?.path ?? 'unmatched';
}

/**
 * Builds the Hono app: validation errors as 400 naming the field, typed errors mapped once, JSON body
 * limit, request metrics, `/openapi.json` and `/docs`. `registerRoutes` adds the concept routes.
 */
export function createHttpApp(ctx: ServerContext, registerRoutes: (app: FleetApp) => void): FleetApp {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInputFrom(result.target, result.error);
    },
  });

  app.use('*', async (c, next) => {
    const startedNs = process.hrtime.bigint();
    await next();
    const route = routeLabel(c);
    const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    ctx.metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    ctx.metrics.httpDurationS.observe({ method: c.req.method, route }, seconds);
    ctx.logger.debug(
      { method: c.req.method, route, status: c.res.status, ms: seconds * 1000 },
      'http request',
    );
  });

  app.use('*', closeConnectionOnUnreadBody());

  // Bearer tokens, never cookies: any origin may call, so browsers of every app can fetch plans and artifacts.
  app.use(
    `${API_PREFIX}/*`,
    cors({
      origin: '*',
      allowHeaders: ['authorization', 'content-type', 'range', 'if-none-match', 'if-range'],
      exposeHeaders: ['content-range', 'content-length', 'etag', 'accept-ranges', 'retry-after'],
      maxAge: 600,
    }),
  );

  const jsonLimit = bodyLimit({
    maxSize: ctx.config.maxJsonBytes,
    onError: () => {
      throw new PayloadTooLarge(`body exceeds ${ctx.config.maxJsonBytes} bytes`, {
        field: 'body',
        maxBytes: ctx.config.maxJsonBytes,
      });
    },
  });
  app.use(`${API_PREFIX}/*`, async (c, next) => {
    if (STREAMED_BODY_PATHS.includes(c.req.path) || c.req.method === 'GET' || c.req.method === 'HEAD') {
      return next();
    }
    return jsonLimit(c, next);
  });

  app.onError((err, c) => errorResponse(ctx.storage.noteError(err, 'http') ?? err, c, ctx.logger));
  app.notFound((c) => errorResponse(new NotFound(`no route ${c.req.method} ${c.req.path}`), c, ctx.logger));

  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'Admin token (`efa_…`), printed once at first start',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'deviceToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'Device token `<deviceId>.<secret>` from enrollment',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'signedUrl', {
    type: 'apiKey',
    in: 'query',
    name: 'sig',
    description: 'A signed download URL from `POST /api/v1/downloads` (`exp`, `by` and `sig` in the query)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'publishableKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'App publishable key (`efp_…`); also accepted as `?key=` for sendBeacon',
  });

  registerRoutes(app);

  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'EdgeFleet fleet server',
      version: '0.1.0',
      description: 'Model registry, artifacts, devices and apps of an EdgeFleet fleet.',
    },
  };
  app.doc31('/openapi.json', documentConfig);
  app.get('/docs', (c) => c.html(renderDocsPage(app.getOpenAPI31Document(documentConfig))));
  return app;
}
