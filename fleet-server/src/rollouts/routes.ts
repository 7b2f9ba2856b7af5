import { idSchema, ROLLOUT_STRATEGIES, saltSchema } from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { API_PREFIX, type FleetApp } from '../http/app';
import type { Principal } from '../http/env';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';
import type { RolloutController } from './controller';
import type { RolloutAction } from './decide';
import { WEEKDAYS } from './maintenance';
import { createRollout, rolloutDetail, rolloutSummary } from './service';
import { getRolloutRow, listRolloutRows } from './store';

const positive = z.number().positive();
const share = z.number().min(0).max(1);

/** Gate thresholds (all optional). */
export const gatesSchema = z
  .strictObject({
    latencyP95Ms: positive.optional(),
    latencyP99Ms: positive.optional(),
    latencyP95Ratio: positive.optional(),
    latencyP99Ratio: positive.optional(),
    maxErrorRate: share.optional(),
    maxPsi: positive.optional(),
    maxJs: share.optional(),
    features: z
      .record(z.string(), z.strictObject({ maxPsi: positive.optional(), maxJs: share.optional() }))
      .optional(),
    minShadowAgreement: share.optional(),
    maxApplyFailureShare: share.optional(),
    metrics: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(200),
          min: z.number().optional(),
          max: z.number().optional(),
        }),
      )
      .max(32)
      .optional(),
  })
  .openapi('RolloutGates');

const windowSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
  start: z.string().openapi({ example: '22:00' }),
  end: z.string().openapi({ example: '06:00' }),
  timeZone: z.string().min(1).max(64).openapi({ example: 'Europe/Berlin' }),
});

/** Body of `POST /api/v1/rollouts`. */
export const createRolloutSchema = z
  .strictObject({
    id: idSchema.optional(),
    model: idSchema,
    candidate: z.string().min(1).max(128),
    baseline: z
      .string()
      .min(1)
      .max(128)
      .nullable()
      .optional()
      .openapi({
        description:
          'the version the candidate replaces; default: what most targets run now, or none when no target runs the ' +
          'model (a first deployment); null: a first deployment (400 when a target runs the model). A first ' +
          'deployment allows canary and all-at-once only, and no gates relative to the baseline ' +
          '(latencyP95Ratio, latencyP99Ratio, minShadowAgreement); targets outside the stage, and all after a ' +
          'rollback or abort, get no version of the model.',
      }),
    target: z.union([
      z.strictObject({ selector: z.string().max(4096).openapi({ example: 'site=plant-a,line in (3,4)' }) }),
      z.strictObject({ devices: z.array(idSchema).min(1).max(100_000) }),
      z.strictObject({ app: idSchema }),
    ]),
    strategy: z.enum(ROLLOUT_STRATEGIES).default('canary'),
    stages: z.string().max(1000).optional().openapi({ example: '5%:30m,25%:2h,100%' }),
    minReportingTargets: z.int().min(0).max(1_000_000).default(1),
    minInferences: z.int().min(0).max(1_000_000_000).default(100),
    gates: gatesSchema.default({}),
    onBreach: z.enum(['rollback', 'pause']).default('rollback'),
    startAt: z.int().min(0).optional().openapi({ description: 'ms since the epoch; default now' }),
    maintenanceWindows: z.array(windowSchema).max(16).default([]),
    maxConcurrentDownloads: z.int().min(1).max(1_000_000).optional(),
    salt: saltSchema.optional(),
  })
  .openapi('RolloutCreate');

const summarySchema = z
  .object({
    id: z.string(),
    model: z.string(),
    candidate: z.string(),
    baseline: z.string().nullable().openapi({ description: 'null: a first deployment' }),
    strategy: z.string(),
    target: z.record(z.string(), z.unknown()),
    status: z.string(),
    stageIndex: z.int(),
    stageCount: z.int(),
    percent: z.number(),
    createdBy: z.string(),
    createdAt: z.int(),
    updatedAt: z.int(),
  })
  .openapi('RolloutSummary');
const detailSchema = summarySchema
  .extend({
    stages: z.array(z.record(z.string(), z.unknown())),
    stage: z.record(z.string(), z.unknown()).nullable(),
    evaluation: z.record(z.string(), z.unknown()).nullable(),
    targets: z.object({
      total: z.int(),
      byState: z.record(z.string(), z.int()),
      failures: z.array(z.unknown()),
    }),
    audit: z.array(z.record(z.string(), z.unknown())),
  })
  .passthrough()
  .openapi('Rollout');
const transitionSchema = z.object({ event: z.string(), actor: z.string(), reason: z.string() }).passthrough();

const base = `${API_PREFIX}/rollouts`;
const idParam = z.object({ id: idSchema });
const actionBody = z.strictObject({ reason: z.string().max(500).optional() });

const createRoute_ = createRoute({
  method: 'post',
  path: base,
  tags: ['rollouts'],
  summary: 'Create a staged rollout of a model version',
  security: [...SECURITY.admin],
  request: { body: jsonBody(createRolloutSchema) },
  responses: {
    201: jsonResponse(detailSchema, 'Created (scheduled)'),
    ...errorResponses(400, 401, 403, 409, 413),
  },
});
const listRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['rollouts'],
  summary: 'List rollouts, newest first',
  security: [...SECURITY.admin],
  request: {
    query: z.object({ status: z.string().max(32).optional(), model: z.string().max(128).optional() }),
  },
  responses: {
    200: jsonResponse(z.object({ rollouts: z.array(summarySchema) }), 'Rollouts'),
    ...errorResponses(400, 401, 403),
  },
});
const showRoute = createRoute({
  method: 'get',
  path: `${base}/{id}`,
  tags: ['rollouts'],
  summary: 'A rollout: stage, progress, gate values against thresholds, targets by state, audit log',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 200: jsonResponse(detailSchema, 'The rollout'), ...errorResponses(400, 401, 403, 404) },
});

const ACTIONS: readonly RolloutAction[] = ['pause', 'resume', 'promote', 'abort', 'rollback'];
const actionRoutes = ACTIONS.map((action) => ({
  action,
  route: createRoute({
    method: 'post',
    path: `${base}/{id}/${action}`,
    tags: ['rollouts'],
    summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rollout (audited with who and why)`,
    security: [...SECURITY.admin],
    request: {
      params: idParam,
      body: { required: false, content: { 'application/json': { schema: actionBody } } },
    },
    responses: {
      200: jsonResponse(z.object({ transition: transitionSchema, rollout: detailSchema }), 'Done'),
      ...errorResponses(400, 401, 403, 404, 409),
    },
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
    return c.json(rolloutDetail(ctx, row) as never, 201);
  });
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const rows = listRolloutRows(ctx.db, c.req.valid('query'));
    return c.json({ rollouts: rows.map(rolloutSummary) } as never, 200);
  });
  app.openapi({ ...showRoute, middleware: [admin] }, (c) =>
    c.json(rolloutDetail(ctx, getRolloutRow(ctx.db, c.req.valid('param').id)) as never, 200),
  );
  for (const { action, route } of actionRoutes) {
    app.openapi({ ...route, middleware: [admin] }, async (c) => {
      const { id } = c.req.valid('param');
      const body = (c.req.header('content-type')?.includes('json') ? c.req.valid('json') : undefined) ?? {};
      const transition = await controller.act(id, action, actorOf(c.get('principal')), body.reason ?? '');
      return c.json({ transition, rollout: rolloutDetail(ctx, getRolloutRow(ctx.db, id)) } as never, 200);
    });
  }
}
