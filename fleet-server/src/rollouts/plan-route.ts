import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import type { SpecResolver } from '../models';
import { planRollout } from './plan';

const planRoute = contractRoute(apiRoute('POST /api/v1/rollouts/plan'), {
  tags: ['rollouts'],
  summary: 'Estimate how long each stage of a rollout needs to decide its gates (nothing is created)',
  description:
    'From the targets’ recent traffic (hourly aggregates of the model) and the candidate’s baseline: ≈ inferences ' +
    'a healthy candidate needs before every gate passes at the confidence (same bounds, Bonferroni family and ' +
    'alpha spending over looks as the gates), and the minutes that takes at each stage’s share of the traffic.',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404, 413],
});

/** `POST /api/v1/rollouts/plan`. */
export function registerRolloutPlanRoute(app: FleetApp, ctx: ServerContext, specs: SpecResolver): void {
  app.openapi({ ...planRoute, middleware: [requireAuth(ctx, 'admin')] }, (c) =>
    c.json(planRollout(ctx.db, specs, c.req.valid('json'), ctx.now()), 200),
  );
}
