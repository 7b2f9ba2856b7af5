import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { Conflict, NotFound } from '../errors';
import { formatSelector, matchesSelector, parseSelector } from '../labels/selector';
import type { GateEvaluation } from './gates';
import {
  ACTIVE_STATUSES,
  DEFAULT_APPLY_TIMEOUT_MS,
  type Rollout,
  type RolloutSpec,
  type RolloutState,
  type RolloutStatus,
  type RolloutTarget,
  type StageLook,
  type Transition,
} from './types';

export type RolloutRow = typeof schema.rollouts.$inferSelect;
export type AuditRow = typeof schema.rolloutAudit.$inferSelect;

/** What `show` reads back of the last controller evaluation. */
export interface StoredEvaluation {
  at: number;
  note: string;
  evaluation: GateEvaluation | null;
  /** The stage's sequential look (persisted so a restart or an untested tick spends no look twice). */
  look?: StageLook | null;
}

/** Canonical text of a target: `selector:site=a`, `devices:d1,d2`, `app:shop`. */
export function targetKeyOf(target: RolloutTarget): string {
  switch (target.kind) {
    case 'selector': {
      const parsed = parseSelector(target.selector);
      return `selector:${parsed.ok ? formatSelector(parsed.value) : target.selector}`;
    }
    case 'devices':
      return `devices:${[...target.ids].sort().join(',')}`;
    case 'app':
      return `app:${target.appId}`;
  }
}

const isActive = (status: string) => ACTIVE_STATUSES.includes(status as RolloutStatus);

/** The rollout of a row. */
export function rolloutOf(row: RolloutRow): Rollout {
  return {
    // Specs stored before applyTimeoutMs existed get its default.
    spec: { ...row.spec, applyTimeoutMs: row.spec.applyTimeoutMs ?? DEFAULT_APPLY_TIMEOUT_MS },
    state: {
      status: row.status,
      stageIndex: row.stageIndex,
      stageStartedAt: row.stageStartedAt,
      version: row.version,
    },
  };
}

/** Ids of the enabled devices a device target covers now. */
export function resolveDeviceTargets(db: FleetDb, target: RolloutTarget): string[] {
  const d = schema.devices;
  if (target.kind === 'app') return [];
  if (target.kind === 'devices') {
    const ids: string[] = [];
    for (let i = 0; i < target.ids.length; i += 500) {
      const rows = db
        .select({ id: d.id })
        .from(d)
        .where(and(inArray(d.id, target.ids.slice(i, i + 500)), isNull(d.disabledAt)))
        .all();
      ids.push(...rows.map((r) => r.id));
    }
    return ids.sort();
  }
  const selector = parseSelector(target.selector);
  if (!selector.ok) return [];
  return db
    .select({ id: d.id, labels: d.labels })
    .from(d)
    .where(isNull(d.disabledAt))
    .all()
    .filter((row) => matchesSelector(selector.value, row.labels))
    .map((row) => row.id)
    .sort();
}

/**
 * Inserts a rollout with its `created` audit row. Refuses (409) a second active rollout of the same model
 * on the same target, or on any device an active rollout of that model already covers.
 */
export function insertRollout(db: FleetDb, spec: RolloutSpec, actor: string, now: number): RolloutRow {
  const r = schema.rollouts;
  const targetKey = targetKeyOf(spec.target);
  return db.transaction((tx) => {
    const active = tx
      .select()
      .from(r)
      .where(and(eq(r.modelName, spec.modelName), inArray(r.status, [...ACTIVE_STATUSES])))
      .all();
    const sameTarget = active.find((row) => row.targetKey === targetKey);
    if (sameTarget) {
      throw new Conflict(`rollout ${sameTarget.id} of ${spec.modelName} is already active on ${targetKey}`, {
        field: 'target',
        rolloutId: sameTarget.id,
      });
    }
    if (spec.target.kind !== 'app') {
      const mine = new Set(resolveDeviceTargets(tx as unknown as FleetDb, spec.target));
      for (const row of active) {
        const other = rolloutOf(row).spec.target;
        if (other.kind === 'app') continue;
        const overlap = resolveDeviceTargets(tx as unknown as FleetDb, other).filter((id) => mine.has(id));
        if (overlap.length > 0) {
          throw new Conflict(
            `rollout ${row.id} of ${spec.modelName} is already active on ${overlap.length} of these devices`,
            { field: 'target', rolloutId: row.id, devices: overlap.slice(0, 10) },
          );
        }
      }
    }
    const status: RolloutStatus = 'scheduled';
    const row = tx
      .insert(r)
      .values({
        id: spec.id,
        modelName: spec.modelName,
        candidate: spec.candidate,
        baseline: spec.baseline,
        strategy: spec.strategy,
        targetKey,
        activeKey: `${targetKey}#${spec.modelName}`,
        spec,
        status,
        stageIndex: 0,
        stageStartedAt: null,
        version: 1,
        createdBy: actor,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    tx.insert(schema.rolloutAudit)
      .values({
        rolloutId: spec.id,
        at: now,
        actor,
        event: 'created',
        fromStatus: null,
        toStatus: status,
        stageIndex: 0,
        reason:
          spec.baseline === null
            ? `${spec.strategy} first deployment of ${spec.modelName} ${spec.candidate} on ${targetKey}`
            : `${spec.strategy} of ${spec.modelName} ${spec.baseline} → ${spec.candidate} on ${targetKey}`,
        gates: [],
      })
      .run();
    return row;
  });
}

/**
 * Writes a transition and its audit row in one transaction, only if the rollout is still at the version the
 * transition was decided on; returns false (and writes nothing) when something else moved it first.
 */
export function commitTransition(db: FleetDb, rolloutId: string, t: Transition, now: number): boolean {
  const r = schema.rollouts;
  return db.transaction((tx) => {
    const changed = tx
      .update(r)
      .set({
        status: t.to.status,
        stageIndex: t.to.stageIndex,
        stageStartedAt: t.to.stageStartedAt,
        version: t.to.version,
        updatedAt: now,
        settled: false,
        ...(isActive(t.to.status) ? {} : { activeKey: null }),
      })
      .where(and(eq(r.id, rolloutId), eq(r.version, t.from.version)))
      .run();
    if (changed.changes === 0) return false;
    tx.insert(schema.rolloutAudit)
      .values({
        rolloutId,
        at: now,
        actor: t.actor,
        event: t.event,
        fromStatus: t.from.status,
        toStatus: t.to.status,
        stageIndex: t.to.stageIndex,
        reason: t.reason,
        gates: t.gates,
      })
      .run();
    return true;
  });
}

/** Stores the latest evaluation (for `show`); marks a finished rollout settled once nothing is left to publish. */
export function recordEvaluation(
  db: FleetDb,
  rolloutId: string,
  evaluation: StoredEvaluation,
  settled: boolean,
): void {
  db.update(schema.rollouts)
    .set({ lastEvaluation: evaluation, settled })
    .where(eq(schema.rollouts.id, rolloutId))
    .run();
}

/** Rollouts the controller works on: active ones, and finished ones whose targets are not settled yet. */
export function rolloutsToReconcile(db: FleetDb): RolloutRow[] {
  const r = schema.rollouts;
  return db
    .select()
    .from(r)
    .where(sql`${r.status} in ('scheduled', 'running', 'paused') or ${r.settled} = 0`)
    .orderBy(r.createdAt)
    .all();
}

/** One rollout or NotFound. */
export function getRolloutRow(db: FleetDb, id: string): RolloutRow {
  const row = db.select().from(schema.rollouts).where(eq(schema.rollouts.id, id)).get();
  if (!row) throw new NotFound(`no rollout ${id}`, { field: 'id' });
  return row;
}

/** Rollouts, newest first, optionally by status and model. */
export function listRolloutRows(
  db: FleetDb,
  filter: { status?: string | undefined; model?: string | undefined } = {},
): RolloutRow[] {
  const r = schema.rollouts;
  const conditions = [
    ...(filter.status ? [eq(r.status, filter.status as RolloutStatus)] : []),
    ...(filter.model ? [eq(r.modelName, filter.model)] : []),
  ];
  return db
    .select()
    .from(r)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(r.createdAt), desc(r.id))
    .all();
}

/** The audit log of a rollout, oldest first. */
export function auditOf(db: FleetDb, rolloutId: string): AuditRow[] {
  const a = schema.rolloutAudit;
  return db.select().from(a).where(eq(a.rolloutId, rolloutId)).orderBy(a.id).all();
}

/** The state part of a rollout row. */
export const stateOf = (row: RolloutRow): RolloutState => rolloutOf(row).state;

/**
 * Steps the automation ladder went down in the rollout's current stage: `stepped_down` audit rows since the stage
 * was entered (started, advanced or promoted into). Read from the audit, written with each step in one transaction,
 * so a restart keeps the level.
 */
export function stepsDownOf(db: FleetDb, rolloutId: string): number {
  const a = schema.rolloutAudit;
  const rows = db.select({ event: a.event }).from(a).where(eq(a.rolloutId, rolloutId)).orderBy(a.id).all();
  let steps = 0;
  for (const { event } of rows) {
    if (event === 'stepped_down') steps++;
    else if (event === 'started' || event === 'advanced' || event === 'promoted') steps = 0;
  }
  return steps;
}
