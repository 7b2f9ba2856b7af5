import type { AppPlan, Automation, DesiredState } from '@edgefleet/shared';
import type { AutomationSetting, AutomationTarget } from '@edgefleet/shared/api';
import { and, desc, eq, inArray, isNotNull } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { matchesSelector, parseSelector } from '../labels/selector';
import { resolveDeviceTargets } from '../rollouts/store';

/** Settings one list answers with (history, newest first). */
export const MAX_AUTOMATION_HISTORY = 1_000;

/** The key a later setting of the same target replaces an earlier one by. */
export function targetKeyOf(target: AutomationTarget): string {
  if (target.kind === 'selector') return `selector:${target.selector}`;
  if (target.kind === 'devices') return `devices:${[...target.ids].sort().join(',')}`;
  return `app:${target.appId}`;
}

/** Whether a model of this name is registered. */
export function modelExists(db: FleetDb, name: string): boolean {
  const m = schema.models;
  return db.select({ name: m.name }).from(m).where(eq(m.name, name)).get() !== undefined;
}

/** Appends a setting (the audit row and the setting in force for its target). */
export function insertSetting(db: FleetDb, setting: AutomationSetting): void {
  db.insert(schema.automationSettings)
    .values({
      modelName: setting.model,
      targetKey: targetKeyOf(setting.target),
      target: setting.target,
      level: setting.level,
      actor: setting.actor,
      setAt: setting.setAt,
    })
    .run();
}

/** A model's settings, newest first (at most {@link MAX_AUTOMATION_HISTORY}). */
export function settingsOf(db: FleetDb, modelName: string): (AutomationSetting & { targetKey: string })[] {
  const s = schema.automationSettings;
  return db
    .select()
    .from(s)
    .where(eq(s.modelName, modelName))
    .orderBy(desc(s.id))
    .limit(MAX_AUTOMATION_HISTORY)
    .all()
    .map((row) => ({
      model: row.modelName,
      targetKey: row.targetKey,
      target: row.target,
      level: row.level,
      actor: row.actor,
      setAt: row.setAt,
    }));
}

/** The stored desired states of the enabled devices a device target covers (null: none published yet). */
export function desiredStatesOf(
  db: FleetDb,
  target: Exclude<AutomationTarget, { kind: 'app' }>,
): { id: string; desired: DesiredState | null }[] {
  const ids = resolveDeviceTargets(db, target);
  const d = schema.devices;
  const stored = new Map<string, DesiredState>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = db
      .select({ id: d.id, desired: d.desiredState })
      .from(d)
      .where(and(inArray(d.id, ids.slice(i, i + 500)), isNotNull(d.desiredState)))
      .all();
    for (const row of rows) stored.set(row.id, row.desired as unknown as DesiredState);
  }
  return ids.map((id) => ({ id, desired: stored.get(id) ?? null }));
}

/** An app's stored plan (`plan: null` when none was published yet), or undefined for an unknown app. */
export function appPlanOf(db: FleetDb, appId: string): { plan: AppPlan | null } | undefined {
  const a = schema.apps;
  const row = db.select({ plan: a.plan }).from(a).where(eq(a.id, appId)).get();
  return row ? { plan: row.plan ?? null } : undefined;
}

/** The settings in force of a model (the latest per target), newest first. */
function inForce(db: FleetDb, modelName: string): AutomationSetting[] {
  const seen = new Set<string>();
  const out: AutomationSetting[] = [];
  for (const setting of settingsOf(db, modelName)) {
    if (seen.has(setting.targetKey)) continue;
    seen.add(setting.targetKey);
    out.push(setting);
  }
  return out;
}

/**
 * The automation level in force for each of `deviceIds` serving `modelName`: the newest setting whose target covers
 * the device (a device list naming it, or a selector its labels match now) — what the last `PUT …/automation`
 * reaching it said. Devices no setting covers are absent. One query when the model has no settings.
 */
export function deviceLevelsInForce(
  db: FleetDb,
  modelName: string,
  deviceIds: readonly string[],
): Map<string, Automation> {
  const levels = new Map<string, Automation>();
  const settings = inForce(db, modelName).filter((s) => s.target.kind !== 'app');
  if (settings.length === 0 || deviceIds.length === 0) return levels;
  const matchers = settings.map((s) => {
    if (s.target.kind === 'devices') {
      const ids = new Set(s.target.ids);
      return (id: string) => ids.has(id);
    }
    const parsed = s.target.kind === 'selector' ? parseSelector(s.target.selector) : null;
    return (_id: string, labels: Readonly<Record<string, string>>) =>
      parsed?.ok === true && matchesSelector(parsed.value, labels);
  });
  const d = schema.devices;
  for (let i = 0; i < deviceIds.length; i += 500) {
    const rows = db
      .select({ id: d.id, labels: d.labels })
      .from(d)
      .where(inArray(d.id, deviceIds.slice(i, i + 500)))
      .all();
    for (const row of rows) {
      const at = matchers.findIndex((covers) => covers(row.id, row.labels));
      if (at >= 0) levels.set(row.id, settings[at]!.level);
    }
  }
  return levels;
}

/** The automation level in force for `modelName` in an app's plan, or undefined when none was set. */
export function appLevelInForce(db: FleetDb, modelName: string, appId: string): Automation | undefined {
  return inForce(db, modelName).find((s) => s.target.kind === 'app' && s.target.appId === appId)?.level;
}
