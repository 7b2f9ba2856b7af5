import type { AppPlan, Automation, DesiredState } from '@edgefleet/shared';
import type { AutomationTarget } from '@edgefleet/shared/api';
import type { CapturePolicy } from '@edgefleet/shared/capture';
import { and, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { matchesSelector, parseSelector } from '../labels/selector';
import { resolveDeviceTargets } from '../rollouts/store';

/** Settings one list answers with (history, newest first). */
export const MAX_SETTING_HISTORY = 1_000;

/** The value each kind of model setting carries (a capture setting of `null` turns capture off there). */
export interface SettingValues {
  automation: Automation;
  capture: CapturePolicy | null;
}
/** A kind of model setting. */
export type SettingKind = keyof SettingValues;

/** One setting of a model: who set which value on which target, and when. */
export interface ModelSetting<K extends SettingKind> {
  model: string;
  target: AutomationTarget;
  value: SettingValues[K];
  actor: string;
  setAt: number;
}

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
export function insertSetting<K extends SettingKind>(db: FleetDb, kind: K, setting: ModelSetting<K>): void {
  db.insert(schema.automationSettings)
    .values({
      kind,
      modelName: setting.model,
      targetKey: targetKeyOf(setting.target),
      target: setting.target,
      // JSON `null` (a capture turned off), not SQL NULL.
      level: setting.value === null ? sql`'null'` : setting.value,
      actor: setting.actor,
      setAt: setting.setAt,
    })
    .run();
}

/** A model's settings of one kind, newest first (at most {@link MAX_SETTING_HISTORY}). */
export function settingsOf<K extends SettingKind>(
  db: FleetDb,
  kind: K,
  modelName: string,
): (ModelSetting<K> & { targetKey: string })[] {
  const s = schema.automationSettings;
  return db
    .select()
    .from(s)
    .where(and(eq(s.modelName, modelName), eq(s.kind, kind)))
    .orderBy(desc(s.id))
    .limit(MAX_SETTING_HISTORY)
    .all()
    .map((row) => ({
      model: row.modelName,
      targetKey: row.targetKey,
      target: row.target,
      value: row.level as SettingValues[K],
      actor: row.actor,
      setAt: row.setAt,
    }));
}

/** The settings in force (the latest per target) of a history, newest first. */
export function latestPerTarget<S extends { targetKey: string }>(history: readonly S[]): S[] {
  const seen = new Set<string>();
  return history.filter((s) => !seen.has(s.targetKey) && seen.add(s.targetKey));
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

/**
 * The value in force of one kind for each of `deviceIds` and `modelName`: the newest setting whose target covers
 * the device (a device list naming it, or a selector its labels match now). Devices no setting covers are absent.
 * One query when the model has no settings of that kind.
 */
export function deviceValuesInForce<K extends SettingKind>(
  db: FleetDb,
  kind: K,
  modelName: string,
  deviceIds: readonly string[],
): Map<string, SettingValues[K]> {
  const values = new Map<string, SettingValues[K]>();
  const settings = latestPerTarget(settingsOf(db, kind, modelName)).filter((s) => s.target.kind !== 'app');
  if (settings.length === 0 || deviceIds.length === 0) return values;
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
      if (at >= 0) values.set(row.id, settings[at]!.value);
    }
  }
  return values;
}

/** The value in force of one kind for `modelName` in an app's plan, or undefined when none was set. */
export function appValueInForce<K extends SettingKind>(
  db: FleetDb,
  kind: K,
  modelName: string,
  appId: string,
): SettingValues[K] | undefined {
  return latestPerTarget(settingsOf(db, kind, modelName)).find(
    (s) => s.target.kind === 'app' && s.target.appId === appId,
  )?.value;
}
