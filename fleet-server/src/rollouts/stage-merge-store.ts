import { createHash } from 'node:crypto';
import { Profile, type ProfileSpec } from '@edgefleet/shared';
import { and, eq, gte, min, notInArray } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { QualityCounts } from './types';

/** One cohort's merge as {@link StageTelemetry} keeps it (profile, reports, distinct targets, feedback). */
export interface CohortMerge {
  profile: Profile;
  reports: number;
  targets: Set<string>;
  quality: QualityCounts;
  feedbackReports: number;
}

/** A stage's merge as persisted and restored. */
export interface StageMergeState {
  stageKey: string;
  targetsHash: string;
  lastId: number;
  candidate: CohortMerge | null;
  baseline: CohortMerge | null;
  clientInferences: Map<string, number>;
}

interface SavedCohort {
  profile: unknown;
  reports: number;
  targets: string[];
  quality: QualityCounts;
  feedbackReports: number;
}

interface SavedState {
  candidate: SavedCohort | null;
  baseline: SavedCohort | null;
  clientInferences: [string, number][];
}

/** A short fingerprint of a sorted target list (a changed set starts the stage's merge over). */
export function targetsHashOf(ids: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of ids) hash.update(id).update('\n');
  return hash.digest('base64url').slice(0, 22);
}

/** Persists running stages' merges (`rollout_stage_merges`): one row per rollout, replaced at every save. */
export class StageMergeStore {
  constructor(private readonly db: FleetDb) {}

  save(rolloutId: string, state: StageMergeState, nowMs: number): void {
    const saved: SavedState = {
      candidate: saveCohort(state.candidate),
      baseline: saveCohort(state.baseline),
      clientInferences: [...state.clientInferences],
    };
    const row = {
      rolloutId,
      stageKey: state.stageKey,
      targetsHash: state.targetsHash,
      lastId: state.lastId,
      state: JSON.stringify(saved),
      savedAt: nowMs,
    };
    const m = schema.rolloutStageMerges;
    this.db.insert(m).values(row).onConflictDoUpdate({ target: m.rolloutId, set: row }).run();
  }

  /**
   * The saved merge of a rollout's stage if it was saved for `stageKey` and `targetsHash`, its profiles read under
   * the cohorts' specs; null otherwise (or when it no longer reads).
   */
  load(
    rolloutId: string,
    expect: { stageKey: string; targetsHash: string },
    specs: { candidate: ProfileSpec; baseline: ProfileSpec | undefined },
  ): StageMergeState | null {
    const m = schema.rolloutStageMerges;
    const row = this.db.select().from(m).where(eq(m.rolloutId, rolloutId)).get();
    if (!row || row.stageKey !== expect.stageKey || row.targetsHash !== expect.targetsHash) return null;
    let saved: SavedState;
    try {
      saved = JSON.parse(row.state) as SavedState;
    } catch {
      return null;
    }
    const candidate = loadCohort(saved.candidate, specs.candidate);
    const baseline = specs.baseline ? loadCohort(saved.baseline, specs.baseline) : null;
    if (candidate === undefined || baseline === undefined) return null;
    return {
      stageKey: row.stageKey,
      targetsHash: row.targetsHash,
      lastId: row.lastId,
      candidate,
      baseline,
      clientInferences: new Map(saved.clientInferences),
    };
  }

  /** Forgets the merges of rollouts not in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    const m = schema.rolloutStageMerges;
    this.db
      .delete(m)
      .where(notInArray(m.rolloutId, [...ids]))
      .run();
  }

  delete(rolloutId: string): void {
    const m = schema.rolloutStageMerges;
    this.db.delete(m).where(eq(m.rolloutId, rolloutId)).run();
  }
}

/**
 * The lowest report rowid a stage merge saved since `savedSinceMs` has not read yet (raw retention keeps reports
 * from it on); +Infinity when none. A merge not saved for that long (a stopped controller) holds nothing.
 */
export function stageMergesHoldFromId(db: FleetDb, savedSinceMs: number): number {
  const m = schema.rolloutStageMerges;
  const row = db
    .select({ lastId: min(m.lastId) })
    .from(m)
    .where(and(gte(m.savedAt, savedSinceMs)))
    .get();
  return row?.lastId === null || row?.lastId === undefined ? Number.POSITIVE_INFINITY : row.lastId + 1;
}

function saveCohort(cohort: CohortMerge | null): SavedCohort | null {
  if (!cohort) return null;
  return {
    profile: cohort.profile.toJSON(),
    reports: cohort.reports,
    targets: [...cohort.targets],
    quality: cohort.quality,
    feedbackReports: cohort.feedbackReports,
  };
}

/** null: nothing was merged; undefined: it does not read under `spec`. */
function loadCohort(saved: SavedCohort | null, spec: ProfileSpec): CohortMerge | null | undefined {
  if (!saved) return null;
  const profile = Profile.fromJSON(saved.profile, spec);
  if (!profile.ok) return undefined;
  return {
    profile: profile.value,
    reports: saved.reports,
    targets: new Set(saved.targets),
    quality: saved.quality,
    feedbackReports: saved.feedbackReports,
  };
}
