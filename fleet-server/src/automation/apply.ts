import type { Automation, DesiredStateInput } from '@edgefleet/shared';
import type { AutomationResult, AutomationSet, AutomationTarget } from '@edgefleet/shared/api';
import type { FleetDb } from '../db';
import { InvalidInput, NotFound } from '../errors';
import { parseSelector } from '../labels/selector';
import type { Logger } from '../logging';
import type { RolloutPublisher } from '../rollouts';
import { appPlanOf, desiredStatesOf, insertSetting, modelExists } from './store';

/** The stored target of a request; 404 for an unknown app, 400 for a selector that does not parse. */
function targetOf(db: FleetDb, request: AutomationSet['target']): AutomationTarget {
  if ('app' in request) {
    if (!appPlanOf(db, request.app)) throw new NotFound(`no app ${request.app}`, { field: 'target.app' });
    return { kind: 'app', appId: request.app };
  }
  if ('devices' in request) return { kind: 'devices', ids: [...new Set(request.devices)].sort() };
  const parsed = parseSelector(request.selector);
  if (!parsed.ok) throw new InvalidInput(parsed.error.message, { field: 'target.selector' });
  return { kind: 'selector', selector: request.selector };
}

/**
 * Stores the level of `model` on a target (with who and when), then republishes, through the same publisher as
 * the rollout controller, the desired state (rev + 1) of every device the target covers whose desired state serves
 * the model, or the app plan's slot of the model. Devices that do not serve the model are counted as skipped.
 */
export async function setAutomation(
  deps: { db: FleetDb; publisher: RolloutPublisher; logger: Logger; now: () => number },
  model: string,
  request: AutomationSet,
  actor: string,
): Promise<AutomationResult> {
  const { db, publisher, logger } = deps;
  if (!modelExists(db, model)) throw new NotFound(`no model ${model}`, { field: 'name' });
  const target = targetOf(db, request.target);
  const setting = { model, target, level: request.level, actor, setAt: deps.now() };
  insertSetting(db, setting);
  const applied = { devices: 0, skipped: 0, failed: 0, app: false };
  if (target.kind === 'app') {
    applied.app = await republishAppPlan(deps, model, target.appId, request.level);
    return { setting, applied };
  }
  const items: { deviceId: string; input: DesiredStateInput }[] = [];
  for (const { id, desired } of desiredStatesOf(db, target)) {
    if (desired?.models.active?.manifest.name !== model) {
      applied.skipped++;
      continue;
    }
    const { v: _v, rev: _rev, deviceId: _id, issuedAt: _at, ...input } = desired;
    items.push({ deviceId: id, input: { ...input, automation: request.level } });
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
      logger.warn({ err: result.error, deviceId: items[i]?.deviceId, model }, 'automation publish failed');
    }
  }
  logger.info({ model, target, level: request.level, actor, ...applied }, 'automation level set');
  return { setting, applied };
}

/** Republishes the app plan with the model's slot at `level`; false when the plan does not serve the model. */
async function republishAppPlan(
  deps: { db: FleetDb; publisher: RolloutPublisher },
  model: string,
  appId: string,
  level: Automation,
): Promise<boolean> {
  const plan = appPlanOf(deps.db, appId)?.plan;
  if (!plan?.models.some((m) => m.name === model)) return false;
  const { v: _v, rev: _rev, appId: _id, issuedAt: _at, ...input } = plan;
  await deps.publisher.publishAppPlan(appId, {
    ...input,
    models: input.models.map((m) => (m.name === model ? { ...m, automation: level } : m)),
  });
  return true;
}
