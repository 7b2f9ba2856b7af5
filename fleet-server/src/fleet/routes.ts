import { createRoute, z } from '@hono/zod-openapi';
import type { ServerContext } from '../context';
import { API_PREFIX, type FleetApp } from '../http/app';
import { jsonResponse } from '../http/openapi';

const fleetSchema = z
  .object({
    fleet: z.string(),
    apiUrl: z.string(),
    mqttUrl: z.string(),
    signingKeys: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('Fleet');

const fleetRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/fleet`,
  tags: ['fleet'],
  summary: "The fleet's name, endpoints and public signing keys (JWK) that verify every manifest",
  responses: { 200: jsonResponse(fleetSchema, 'Fleet facts (public)') },
});

/** Public facts about the fleet: clients pin `signingKeys` to verify manifests. */
export function registerFleetRoutes(app: FleetApp, ctx: ServerContext): void {
  app.openapi(fleetRoute, (c) =>
    c.json(
      {
        fleet: ctx.config.fleet,
        apiUrl: ctx.endpoints.apiUrl,
        mqttUrl: ctx.endpoints.mqttUrl,
        signingKeys: [ctx.signer.publicJwk],
      },
      200,
    ),
  );
}
