import { apiRoute } from '@edgefleet/shared/api';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import { contractRoute } from '../http/openapi';

const fleetRoute = contractRoute(apiRoute('GET /api/v1/fleet'), {
  tags: ['fleet'],
  summary: "The fleet's name, endpoints and public signing keys (JWK) that verify every manifest",
  responses: { 200: 'Fleet facts (public)' },
  errors: [],
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
