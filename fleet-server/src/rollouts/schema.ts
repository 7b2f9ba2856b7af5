import type { RolloutStrategy } from '@edgefleet/shared';
import type { RolloutEvent, RolloutStatus } from '@edgefleet/shared/api';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { GateValue } from './gates';
import type { StoredEvaluation } from './store';
import type { RolloutSpec } from './types';

/**
 * Rollouts: the spec (fixed at creation, JSON) and the controller's state. `version` rises with every
 * transition; a transition is written only `where version = <the one decided on>`, so two ticks (or a tick
 * and an admin action) can never both move the same rollout. `active_key` is `<target>#<model>` while the
 * rollout is active and null after: the unique index keeps one active rollout per (target, model name).
 */
export const rollouts = sqliteTable(
  'rollouts',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name').notNull(),
    candidate: text('candidate').notNull(),
    /** The version the candidate replaces; null for a first deployment (no target runs the model yet). */
    baseline: text('baseline'),
    strategy: text('strategy').$type<RolloutStrategy>().notNull(),
    /** Canonical form of the target, e.g. `selector:site=a`, `devices:d1,d2`, `app:shop`. */
    targetKey: text('target_key').notNull(),
    activeKey: text('active_key').unique(),
    spec: text('spec', { mode: 'json' }).$type<RolloutSpec>().notNull(),
    status: text('status').$type<RolloutStatus>().notNull(),
    stageIndex: integer('stage_index').notNull().default(0),
    stageStartedAt: integer('stage_started_at'),
    version: integer('version').notNull().default(1),
    /** Last controller evaluation (gate values and note), for `show`. */
    lastEvaluation: text('last_evaluation', { mode: 'json' }).$type<StoredEvaluation>(),
    /** False until every target of a finished rollout has its final desired state. */
    settled: integer('settled', { mode: 'boolean' }).notNull().default(false),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('rollouts_status').on(t.status)],
);

/** Every admin action and automatic transition of a rollout: who, when, why, and the gate values. */
export const rolloutAudit = sqliteTable(
  'rollout_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    rolloutId: text('rollout_id')
      .notNull()
      .references(() => rollouts.id),
    at: integer('at').notNull(),
    actor: text('actor').notNull(),
    event: text('event').$type<RolloutEvent>().notNull(),
    fromStatus: text('from_status').$type<RolloutStatus>(),
    toStatus: text('to_status').$type<RolloutStatus>().notNull(),
    stageIndex: integer('stage_index').notNull(),
    reason: text('reason').notNull(),
    gates: text('gates', { mode: 'json' }).$type<GateValue[]>().notNull(),
  },
  (t) => [index('rollout_audit_rollout').on(t.rolloutId, t.id)],
);

/**
 * A running stage's merged telemetry (candidate and baseline cohorts) and the report rowid it was merged up to, so a
 * restarted controller continues from there instead of re-reading the stage's raw reports. `stage_key` and
 * `targets_hash` say which stage, share and target set it belongs to; any change starts it over.
 */
export const rolloutStageMerges = sqliteTable('rollout_stage_merges', {
  rolloutId: text('rollout_id').primaryKey(),
  stageKey: text('stage_key').notNull(),
  targetsHash: text('targets_hash').notNull(),
  lastId: integer('last_id').notNull(),
  /** `{ candidate, baseline, clientInferences }` as {@link StageMergeState} (profiles as ProfileJSON). */
  state: text('state').notNull(),
  savedAt: integer('saved_at').notNull(),
});
