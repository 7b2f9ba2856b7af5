import type { DesiredStateInput } from '@edgefleet/shared';
import type { AutomationSet, AutomationTarget } from '@edgefleet/shared/api';
import type { Context } from 'hono';
import type { ServerContext } from '../context';
import type { FleetDb } from '../db';
import { Conflict, InvalidInput, NotFound } from '../errors';
import type { AppEnv } from '../http/env';
import { SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import type { Logger } from '../logging';
import type { RolloutPublisher } from '../rollouts';
import {
  appPlanOf,
  desiredStatesOf,
  insertSetting,
  latestPerTarget,
  type ModelSetting,
  modelExists,
  type SettingKind,
  type SettingValues,
  settingsOf,
} from './store';

/** What a set reached now: desired states republished, devices skipped, publishes failed, the app plan. */
export interface Applied {
  devices: number;
  skipped: number;
  failed: number;
  app: boolean;
}

/** What setting a model's value needs from the server. */
export interface SettingDeps {
  db: FleetDb;
  publisher: RolloutPublisher;
  logger: Logger;
  now: () => number;
}

/** Docs of a `PUT /api/v1/models/{name}/<kind>` route: admin only, and how it fails. */
export const SET_SETTING_DOC = {
  security: SECURITY.admin,
  errors: [400, 401, 403, 404, 409, 413] as const,
} as const;
/** Docs of a `GET /api/v1/models/{name}/<kind>` route. */
export const LIST_SETTING_DOC = { security: SECURITY.admin, errors: [401, 403, 404] as const } as const;
/** How a set reaches clients, for the route descriptions. */
export const REPUBLISH_TEXT =
  'then republishes (rev + 1) the desired state of every enabled device the target covers whose desired state ' +
  'serves the model as its active model, or the slot of the model in the app plan.';

/** What a set needs: 409 until the MQTT side (the publisher) is up. */
export function settingDepsOf(ctx: ServerContext, publisher: RolloutPublisher | null): SettingDeps {
  if (!publisher) throw new Conflict('the MQTT side is not started yet; try again', { field: 'server' });
  return { db: ctx.db, publisher, logger: ctx.logger, now: ctx.now };
}

/** Who made a request: `admin:<token id>`, or the credential's kind. */
export function actorOf(c: Context<AppEnv>): string {
  const principal = c.get('principal');
  return principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;
}

/** The stored target of a request; 404 for an unknown app, 400 for a selector that does not parse. */
export function targetOf(db: FleetDb, request: AutomationSet['target']): AutomationTarget {
  if ('app' in request) {
    if (!appPlanOf(db, request.app)) throw new NotFound(`no app ${request.app}`, { field: 'target.app' });
    return { kind: 'app', appId: request.app };
  }
  if ('devices' in request) return { kind: 'devices', ids: [...new Set(request.devices)].sort() };
  const parsed = parseSelector(request.selector);
  if (!parsed.ok) throw new InvalidInput(parsed.error.message, { field: 'target.selector' });
  return { kind: 'selector', selector: request.selector };
}

/** `state` with its field `kind` set to `value` (removed for null: a capture turned off). */
function withValue<T extends object, K extends SettingKind>(state: T, kind: K, value: SettingValues[K]): T {
  const { [kind]: _old, ...rest } = state as Record<string, unknown>;
  return (value === null ? rest : { ...rest, [kind]: value }) as T;
}

/**
 * Stores a value of `kind` for `model` on a target (with who and when), then republishes, through the same
 * publisher as the rollout controller, the desired state (rev + 1) of every device the target covers whose desired
 * state serves the model as active, or the app plan's slot of the model. Other devices are counted as skipped.
 */
export async function setModelSetting<K extends SettingKind>(
  deps: SettingDeps,
  kind: K,
  model: string,
  request: { target: AutomationSet['target']; value: SettingValues[K] },
  actor: string,
): Promise<{ setting: ModelSetting<K>; applied: Applied }> {
  const { db, publisher, logger } = deps;
  if (!modelExists(db, model)) throw new NotFound(`no model ${model}`, { field: 'name' });
  const target = targetOf(db, request.target);
  const setting: ModelSetting<K> = { model, target, value: request.value, actor, setAt: deps.now() };
  insertSetting(db, kind, setting);
  const applied: Applied = { devices: 0, skipped: 0, failed: 0, app: false };
  if (target.kind === 'app') {
    const plan = appPlanOf(db, target.appId)?.plan;
    if (plan?.models.some((m) => m.name === model)) {
      const { v: _v, rev: _rev, appId: _id, issuedAt: _at, ...input } = plan;
      const models = input.models.map((m) => (m.name === model ? withValue(m, kind, request.value) : m));
      await publisher.publishAppPlan(target.appId, { ...input, models });
      applied.app = true;
    }
    return { setting, applied };
  }
  const items: { deviceId: string; input: DesiredStateInput }[] = [];
  for (const { id, desired } of desiredStatesOf(db, target)) {
    if (desired?.models.active?.manifest.name !== model) {
      applied.skipped++;
      continue;
    }
    const { v: _v, rev: _rev, deviceId: _id, issuedAt: _at, ...input } = desired;
    items.push({ deviceId: id, input: withValue(input, kind, request.value) });
  }
  const results = publisher.publishDesiredMany
    ? await publisher.publishDesiredMany(items)
    : await Promise.all(
        items.map((item) =>
          publisher.publishDesired(item.deviceId, item.input).then(
            () => ({ ok: true }) as const,
            (error: unknown) => ({ ok: false, error }) as const,
          ),
        ),
      );
  for (const [i, result] of results.entries()) {
    if (result.ok) applied.devices++;
    else {
      applied.failed++;
      logger.warn({ err: result.error, deviceId: items[i]?.deviceId, model, kind }, 'setting publish failed');
    }
  }
  logger.info({ model, kind, target, actor, ...applied }, 'model setting set');
  return { setting, applied };
}

/** A model's settings of one kind: the one in force per target and the history, newest first; 404 for no model. */
export function listModelSettings<K extends SettingKind>(
  db: FleetDb,
  kind: K,
  model: string,
): { settings: ModelSetting<K>[]; history: ModelSetting<K>[] } {
  if (!modelExists(db, model)) throw new NotFound(`no model ${model}`, { field: 'name' });
  const history = settingsOf(db, kind, model);
  const strip = ({ targetKey: _, ...s }: (typeof history)[number]): ModelSetting<K> => s;
  return { settings: latestPerTarget(history).map(strip), history: history.map(strip) };
}
