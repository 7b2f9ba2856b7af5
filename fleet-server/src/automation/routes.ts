import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { Conflict, NotFound } from '../errors';
import type { FleetApp } from '../http/app';
import type { Principal } from '../http/env';
import { contractRoute, SECURITY } from '../http/openapi';
import type { RolloutPublisher } from '../rollouts';
import { setAutomation } from './apply';
import { MAX_AUTOMATION_HISTORY, modelExists, settingsOf } from './store';

const setRoute = contractRoute(apiRoute('PUT /api/v1/models/{name}/automation'), {
  tags: ['automation'],
  summary: 'Set how much a model decides alone on a device target or a web app',
  description:
    'Stores the level (`shadow`, `assist`, `partial` with τ = minConfidence and μ = minMargin, `full`) with who set ' +
    'it and when, then republishes (rev + 1) the desired state of every enabled device the target covers whose ' +
    'desired state serves the model as its active model, or the slot of the model in the app plan. Devices that do ' +
    'not serve the model are counted as skipped (set the level again once a rollout reached them); later rollouts ' +
    'keep the level a device or app plan carries.',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404, 409, 413],
});

const listRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/automation'), {
  tags: ['automation'],
  summary: "A model's automation levels: the one in force per target, and every setting, newest first",
  description: `At most ${MAX_AUTOMATION_HISTORY} settings of history.`,
  security: SECURITY.admin,
  errors: [401, 403, 404],
});

/** `admin:<token id>`: who set it. */
const actorOf = (principal: Principal) =>
  principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;

/** Automation routes; `publisher()` is null until the MQTT side is up. */
export function registerAutomationRoutes(
  app: FleetApp,
  ctx: ServerContext,
  publisher: () => RolloutPublisher | null,
): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...setRoute, middleware: [admin] }, async (c) => {
    const { name } = c.req.valid('param');
    const sessions = publisher();
    if (!sessions) throw new Conflict('the MQTT side is not started yet; try again', { field: 'server' });
    const result = await setAutomation(
      { db: ctx.db, publisher: sessions, logger: ctx.logger, now: ctx.now },
      name,
      c.req.valid('json'),
      actorOf(c.get('principal')),
    );
    return c.json(result, 200);
  });
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const { name } = c.req.valid('param');
    if (!modelExists(ctx.db, name)) throw new NotFound(`no model ${name}`, { field: 'name' });
    const history = settingsOf(ctx.db, name);
    const seen = new Set<string>();
    const settings = history.filter((s) => !seen.has(s.targetKey) && seen.add(s.targetKey));
    const strip = ({ targetKey: _, ...s }: (typeof history)[number]) => s;
    return c.json({ settings: settings.map(strip), history: history.map(strip) }, 200);
  });
}
