import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import { contractRoute } from '../http/openapi';
import {
  actorOf,
  LIST_SETTING_DOC,
  listModelSettings,
  REPUBLISH_TEXT,
  SET_SETTING_DOC,
  settingDepsOf,
} from '../model-settings/apply';
import { MAX_SETTING_HISTORY } from '../model-settings/store';
import type { RolloutPublisher } from '../rollouts';
import { setAutomation } from './apply';

const setRoute = contractRoute(apiRoute('PUT /api/v1/models/{name}/automation'), {
  tags: ['automation'],
  summary: 'Set how much a model decides alone on a device target or a web app',
  description:
    'Stores the level (`shadow`, `assist`, `partial` with τ = minConfidence and μ = minMargin, `full`) with who set ' +
    `it and when, ${REPUBLISH_TEXT} Devices that do ` +
    'not serve the model are counted as skipped (set the level again once a rollout reached them); later rollouts ' +
    'keep the level a device or app plan carries.',
  ...SET_SETTING_DOC,
});

const listRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/automation'), {
  tags: ['automation'],
  summary: "A model's automation levels: the one in force per target, and every setting, newest first",
  description: `At most ${MAX_SETTING_HISTORY} settings of history.`,
  ...LIST_SETTING_DOC,
});

/** Automation routes; `publisher()` is null until the MQTT side is up. */
export function registerAutomationRoutes(
  app: FleetApp,
  ctx: ServerContext,
  publisher: () => RolloutPublisher | null,
): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...setRoute, middleware: [admin] }, async (c) => {
    const deps = settingDepsOf(ctx, publisher());
    const result = await setAutomation(deps, c.req.valid('param').name, c.req.valid('json'), actorOf(c));
    return c.json(result, 200);
  });
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const { settings, history } = listModelSettings(ctx.db, 'automation', c.req.valid('param').name);
    const withLevel = ({ value, ...s }: (typeof history)[number]) => ({ ...s, level: value });
    return c.json({ settings: settings.map(withLevel), history: history.map(withLevel) }, 200);
  });
}
