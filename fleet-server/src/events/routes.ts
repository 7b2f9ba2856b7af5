import { apiRoute, fleetEventSchema } from '@edgefleet/shared/api';
import { z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { ADMIN_TOKEN_PREFIX, verifyAdminToken } from '../auth/verify';
import type { ServerContext } from '../context';
import { FleetError, Forbidden, Unauthorized } from '../errors';
import type { FleetApp } from '../http/app';
import type { AppEnv } from '../http/env';
import { contractRoute, SECURITY } from '../http/openapi';
import type { EventStreams } from './stream';

type ComponentSchema = Parameters<FleetApp['openAPIRegistry']['registerComponent']>[2];

/** Longer tokens are refused before any lookup. */
const MAX_TOKEN_LENGTH = 512;

/** Too many streams open: 503 with the usual error body. */
class TooManyStreams extends FleetError {
  readonly status = 503;
  readonly code = 'too_many_streams';
}

const eventsRoute = contractRoute(apiRoute('GET /api/v1/events'), {
  tags: ['monitoring'],
  summary:
    'Live updates as Server-Sent Events (rollout, telemetry, device, alert; heartbeat comment every 15 s)',
  description:
    'Admin token as `Authorization: Bearer` (fetch streaming) or `?token=` (EventSource, which cannot set ' +
    'headers). Events (`FleetEvent`): `rollout` {id, status, stageIndex, action}, `telemetry` {model, version, ' +
    'reports} (at most once per second per version), `device` {id, online}, `alert` {id, kind, status}. A ' +
    'client that reads too slowly is dropped; reconnect and re-read the REST state.',
  security: SECURITY.admin,
  responses: { 200: 'An endless event stream' },
  errors: [401, 403, 503],
});

/** Admin auth from the Authorization header, or `?token=` (EventSource cannot send headers). */
function requireAdminHeaderOrQuery(ctx: Pick<ServerContext, 'db'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    const fromHeader = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const token = fromHeader ?? c.req.query('token');
    if (!token) throw new Unauthorized('missing Authorization: Bearer <token> (or ?token= for EventSource)');
    if (token.length > MAX_TOKEN_LENGTH) throw new Unauthorized('unknown or revoked admin token');
    if (!token.startsWith(`${ADMIN_TOKEN_PREFIX}_`)) {
      throw new Forbidden('only an admin token may read the event stream');
    }
    const tokenId = verifyAdminToken(ctx.db, token);
    if (!tokenId) throw new Unauthorized('unknown or revoked admin token');
    c.set('principal', { kind: 'admin', tokenId });
    await next();
  });
}

/** `GET /api/v1/events`. */
export function registerEventRoutes(app: FleetApp, ctx: ServerContext, streams: EventStreams): void {
  // The events' payloads are not a response body of their own: name their schema so clients find it.
  // zod puts a schema with an id under `$defs`; the component is that definition itself.
  const json = z.toJSONSchema(fleetEventSchema, { target: 'draft-2020-12' }) as {
    $defs?: Record<string, object>;
  };
  const eventSchema = json.$defs?.FleetEvent;
  if (eventSchema)
    app.openAPIRegistry.registerComponent('schemas', 'FleetEvent', eventSchema as ComponentSchema);
  app.openapi({ ...eventsRoute, middleware: [requireAdminHeaderOrQuery(ctx)] }, (c) => {
    // A slow client's socket is destroyed outright: its kernel buffers are full, a clean end would wait on it.
    const outgoing = c.env?.outgoing;
    const principal = c.get('principal');
    const owner = principal.kind === 'admin' ? principal.tokenId : undefined;
    const body = streams.open(outgoing ? () => outgoing.destroy() : undefined, owner);
    if (!body) {
      throw new TooManyStreams(`${ctx.config.maxEventStreams} event streams are open already`, {
        maxStreams: ctx.config.maxEventStreams,
      });
    }
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
  });
}
