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
  setModelSetting,
  settingDepsOf,
} from '../model-settings/apply';
import type { ModelSetting } from '../model-settings/store';
import type { RolloutPublisher } from '../rollouts';

const setRoute = contractRoute(apiRoute('PUT /api/v1/models/{name}/capture'), {
  tags: ['samples'],
  summary: 'Set what the clients of a device target or a web app capture of a model (null: nothing)',
  description:
    `Stores the capture policy with who set it and when (append-only; the latest per target is in force), ${REPUBLISH_TEXT} ` +
    'Devices a rollout reaches later get the policy in force with their desired state. Nothing is captured, and no ' +
    'upload accepted, where no policy reaches (opt-in); `policy: null` turns capture off on that target.',
  ...SET_SETTING_DOC,
});

const listRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/capture'), {
  tags: ['samples'],
  summary: "A model's capture policies: the one in force per target, and every setting, newest first",
  ...LIST_SETTING_DOC,
});

const withPolicy = ({ value, ...s }: ModelSetting<'capture'>) => ({ ...s, policy: value });

/** Capture settings routes; `publisher()` is null until the MQTT side is up. */
export function registerCaptureRoutes(
  app: FleetApp,
  ctx: ServerContext,
  publisher: () => RolloutPublisher | null,
): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...setRoute, middleware: [admin] }, async (c) => {
    const { target, policy } = c.req.valid('json');
    const deps = settingDepsOf(ctx, publisher());
    const request = { target, value: policy };
    const result = await setModelSetting(deps, 'capture', c.req.valid('param').name, request, actorOf(c));
    return c.json({ setting: withPolicy(result.setting), applied: result.applied }, 200);
  });
  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const { settings, history } = listModelSettings(ctx.db, 'capture', c.req.valid('param').name);
    return c.json({ settings: settings.map(withPolicy), history: history.map(withPolicy) }, 200);
  });
}
