import {
  bucketOf,
  type FeedbackAggregate,
  Profile,
  type ProfileSpec,
  profileDeltaOf,
} from '@edgefleet/shared';
import type Database from 'better-sqlite3';
import type { FleetDb } from '../db';
import type { SpecResolver } from '../models';
import { memberPercent, memberThreshold } from './assignment';
import { StageMergeStore, targetsHashOf } from './stage-merge-store';
import type { QualityCounts, Rollout } from './types';

/** One version's reports merged so far and who sent them. */
export interface MergedReports {
  profile: Profile;
  reports: number;
  /** Distinct reporting targets: device ids, or browser client ids of a web app. */
  targets: Set<string>;
  /** Operator feedback summed over the reports that carried it (all zero when none did). */
  quality: QualityCounts;
  /** Reports that carried operator feedback. */
  feedbackReports: number;
}

/** The telemetry gates read for the current stage of a running rollout. */
export interface StageProfiles {
  /** The candidate, from the stage's members; null before anything was merged. */
  candidate: MergedReports | null;
  /** The baseline version (active), from the rollout's targets; null when not asked for or nothing merged. */
  baseline: MergedReports | null;
  /**
   * True while a rebuild is behind the stored reports (the last read hit the row budget): the profiles are
   * partial and must not be judged — the controller neither advances nor rolls back on them.
   */
  catchingUp: boolean;
}

/** Default rows merged per read (~30 µs each, so ~0.6 s of event loop at most). */
export const DEFAULT_ROW_BUDGET = 20_000;

/**
 * Most inferences one browser client id carries in one stage's cohort (candidate or baseline) of an app rollout;
 * its later reports are left out. A publishable key is public, so a client id is anyone's claim: the cap keeps a
 * few invented clients from outweighing the real ones (see SECURITY.md). Devices are authenticated: no cap.
 */
export const DEFAULT_APP_CLIENT_INFERENCE_CAP = 1000;

/** Where one rollout's stage telemetry was merged up to, and for which stage and targets. */
interface StageEntry {
  key: string;
  /** {@link targetsHashOf} the target ids (set when persisted). */
  targetsHash: string;
  /** Sorted device targets the members were computed from (empty for a web app). */
  targetIds: readonly string[];
  members: ReadonlySet<string>;
  /** Rowid cursor: every report up to it was merged (or is not of this stage); later ones are read next. */
  lastId: number;
  candidate: MergedReports | null;
  baseline: MergedReports | null;
  /** Rebuilding: the last budgeted read hit the row budget, so more reports may be waiting. */
  catchingUp: boolean;
  /** Inferences merged per browser client id and cohort (`c:` candidate, `b:` baseline), against the cap. */
  clientInferences: Map<string, number>;
}

interface ReportRow {
  id: number;
  source_id: string;
  client_id: string;
  model_version: string;
  role: string;
  window_start_ms: number;
  profile: string;
  feedback: string | null;
}

const COLUMNS = 'id, source_id, client_id, model_version, role, window_start_ms, profile, feedback';
// Where a stage's reports begin: the (model, version, window start) index covers it (no table rows read).
const FIRST_OF_STAGE = `SELECT min(id) AS id FROM telemetry_reports
  WHERE model_name = ? AND model_version IN (?, ?) AND window_start_ms >= ?`;
const NEWEST = 'SELECT max(id) AS id FROM telemetry_reports';
// Every read: rows after the cursor in rowid order, at most the budget. The unary `+` keeps the planner off the
// version index, whose range (every report since the stage began) grows with the stage, and on the rowid.
const AFTER_CURSOR = `SELECT ${COLUMNS} FROM telemetry_reports
  WHERE id > ? AND +model_name = ? AND +model_version IN (?, ?) AND +window_start_ms >= ?
    AND +scope = ? AND +status = 'merged'
  ORDER BY id LIMIT ?`;

/**
 * Merges the stored raw reports of each running rollout's current stage — windows that began at or after
 * `stage_started_at`, the candidate from the stage's members, the baseline from the rollout's targets — and
 * keeps the merge between ticks, adding only reports stored since (by rowid). An entry is rebuilt from the
 * database whenever the stage, its share or the target set changes; a new instance (restart) starts empty.
 * A rebuild merges at most `rowBudget` reports per read, so a long stage takes several ticks instead of
 * blocking the event loop; until it caught up the read says `catchingUp` (see {@link StageProfiles}). Once
 * caught up, each read takes everything stored since the previous one.
 */
export class StageTelemetry {
  private readonly entries = new Map<string, StageEntry>();
  private readonly buckets = new Map<string, number>();
  private readonly saved: StageMergeStore | null;

  /**
   * `persist`: each read that merged something saves the stage's merge (`rollout_stage_merges`), and a first read
   * after a start continues a saved merge of the same stage and targets instead of re-reading the stage's reports
   * (the controller's instance; ad-hoc reads leave it off).
   */
  constructor(
    private readonly db: FleetDb,
    private readonly specs: SpecResolver,
    private readonly rowBudget = DEFAULT_ROW_BUDGET,
    private readonly appClientInferenceCap = DEFAULT_APP_CLIENT_INFERENCE_CAP,
    persist: { now: () => number } | null = null,
  ) {
    this.saved = persist ? new StageMergeStore(db) : null;
    this.now = persist?.now ?? Date.now;
  }

  private readonly now: () => number;

  /**
   * The stage's merged telemetry now; `targetIds` are the rollout's device targets, sorted (ignored for an app).
   * `withBaseline` adds the baseline version's (relative gates, shadow agreement).
   */
  read(rollout: Rollout, targetIds: readonly string[], withBaseline: boolean): StageProfiles {
    const { spec, state } = rollout;
    const candidateSpec = this.specs.baselineOf(spec.modelName, spec.candidate)?.spec;
    if (!candidateSpec || state.stageStartedAt === null) {
      this.entries.delete(spec.id);
      this.saved?.delete(spec.id);
      return { candidate: null, baseline: null, catchingUp: false };
    }
    const baselineSpec =
      withBaseline && spec.baseline !== null
        ? this.specs.baselineOf(spec.modelName, spec.baseline)?.spec
        : undefined;
    const threshold = memberThreshold(rollout);
    const baselineFromMs = baselineWindowStart(rollout);
    const key = [
      state.stageIndex,
      state.stageStartedAt,
      threshold,
      baselineSpec ? baselineFromMs : null,
    ].join('|');
    let entry = this.entries.get(spec.id);
    const restoring = !entry;
    if (!entry || entry.key !== key || !sameIds(entry.targetIds, targetIds)) {
      const ids = spec.target.kind === 'app' ? [] : [...targetIds];
      const members = new Set(ids.filter((id) => this.bucketOf(id, spec.salt) < threshold));
      entry = {
        key,
        targetsHash: this.saved ? targetsHashOf(ids) : '',
        targetIds: ids,
        members,
        lastId: -1,
        candidate: null,
        baseline: null,
        catchingUp: true,
        clientInferences: new Map(),
      };
      // After a start: continue the saved merge of this very stage (budgeted, as whatever came since is read).
      const saved =
        restoring &&
        this.saved?.load(
          spec.id,
          { stageKey: key, targetsHash: entry.targetsHash },
          { candidate: candidateSpec, baseline: baselineSpec },
        );
      if (saved) {
        entry.lastId = saved.lastId;
        entry.candidate = saved.candidate;
        entry.baseline = saved.baseline;
        entry.clientInferences = saved.clientInferences;
      }
      this.entries.set(spec.id, entry);
    }
    const mergedRows = this.mergeNewReports(
      rollout,
      entry,
      threshold,
      candidateSpec,
      baselineSpec && { spec: baselineSpec, fromMs: baselineFromMs },
    );
    if (this.saved && mergedRows > 0) {
      this.saved.save(spec.id, { ...entry, stageKey: entry.key }, this.now());
    }
    return { candidate: entry.candidate, baseline: entry.baseline, catchingUp: entry.catchingUp };
  }

  /** Forgets the entries (and saved merges) of rollouts not in `ids` (finished, or deleted). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.entries.delete(id);
    this.saved?.retain(ids);
  }

  private mergeNewReports(
    rollout: Rollout,
    entry: StageEntry,
    threshold: number,
    candidateSpec: ProfileSpec,
    baseline: { spec: ProfileSpec; fromMs: number } | undefined,
  ): number {
    const { spec, state } = rollout;
    const stageStartMs = state.stageStartedAt as number;
    const app = spec.target.kind === 'app' ? spec.target.appId : null;
    const candidateRole = spec.strategy === 'shadow' ? 'shadow' : 'active';
    const baselineVersion = baseline ? spec.baseline : spec.candidate;
    const fromMs = Math.min(stageStartMs, baseline?.fromMs ?? stageStartMs);
    const common = [spec.modelName, spec.candidate, baselineVersion, fromMs, app ? 'app' : 'dev'];
    const sqlite = sqliteOf(this.db);
    if (entry.lastId < 0) {
      // Before the stage's first report, or (none yet) after the newest row: later ones get higher rowids.
      const first = sqlite.prepare(FIRST_OF_STAGE).get(...common.slice(0, 4)) as { id: number | null };
      const newest = sqlite.prepare(NEWEST).get() as { id: number | null };
      entry.lastId = first.id !== null ? first.id - 1 : (newest.id ?? 0);
    }
    // Only a rebuild is budgeted: once caught up, a tick reads what arrived since the last one, however much,
    // so a fleet that steadily sends more than the budget per tick never waits forever.
    const budgeted = entry.catchingUp && Number.isFinite(this.rowBudget);
    const limit = budgeted ? this.rowBudget : -1; // -1: no limit
    const rows = sqlite.prepare(AFTER_CURSOR).iterate(entry.lastId, ...common, limit);
    const cap = this.appClientInferenceCap;
    // Browser clients only: a report that would take its client past the cap is left out of the cohort.
    const capOf =
      (cohort: string) =>
      (target: string, inferences: number): boolean => {
        if (app === null) return true;
        const key = cohort + target;
        const used = entry.clientInferences.get(key) ?? 0;
        if (used + inferences > cap) return false;
        entry.clientInferences.set(key, used + inferences);
        return true;
      };
    let read = 0;
    for (const row of rows as Iterable<ReportRow>) {
      read++;
      entry.lastId = row.id;
      if (app !== null && row.source_id !== app) continue;
      const target = app !== null ? row.client_id : row.source_id;
      const candidateRow =
        row.model_version === spec.candidate &&
        row.role === candidateRole &&
        row.window_start_ms >= stageStartMs;
      if (candidateRow) {
        const inStage =
          app !== null ? this.bucketOf(target, spec.salt) < threshold : entry.members.has(target);
        if (inStage) entry.candidate = mergeReport(entry.candidate, candidateSpec, row, target, capOf('c:'));
      }
      // Same kind of targets for the baseline: the rollout's devices (members or not), or the app's browsers.
      if (
        baseline &&
        row.model_version === spec.baseline &&
        row.role === 'active' &&
        row.window_start_ms >= baseline.fromMs
      ) {
        if (app !== null || hasSorted(entry.targetIds, target))
          entry.baseline = mergeReport(entry.baseline, baseline.spec, row, target, capOf('b:'));
      }
    }
    entry.catchingUp = budgeted && read >= this.rowBudget; // an unbudgeted read took everything
    return read;
  }

  private bucketOf(id: string, salt: string): number {
    const key = `${salt}\u0000${id}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = bucketOf(id, salt);
      if (this.buckets.size >= 1_000_000) this.buckets.clear();
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

/**
 * Where the baseline's window starts: with the stage, unless the stage moved every target off the baseline (a
 * 100% stage of anything but shadow), where the stage has no baseline of its own; then at the rollout's start.
 */
export function baselineWindowStart(rollout: Rollout): number {
  const { spec, state } = rollout;
  const stageStartMs = state.stageStartedAt ?? spec.startAt;
  const everyTargetMoved = memberPercent(rollout) >= 100 && spec.strategy !== 'shadow';
  return everyTargetMoved ? Math.min(spec.startAt, stageStartMs) : stageStartMs;
}

/** The driver handle `drizzle(sqlite)` sets: drizzle's builder cannot iterate, and a stage may hold many reports. */
function sqliteOf(db: FleetDb): Database.Database {
  return (db as FleetDb & { $client: Database.Database }).$client;
}

/** Adds one stored report to `merged` (created on first use); an unreadable report is skipped. */
function mergeReport(
  merged: MergedReports | null,
  spec: ProfileSpec,
  row: ReportRow,
  target: string,
  admit: (target: string, inferences: number) => boolean,
): MergedReports | null {
  let json: unknown;
  try {
    json = JSON.parse(row.profile);
  } catch {
    return merged;
  }
  const delta = profileDeltaOf(json, spec);
  if (!delta.ok || !admit(target, delta.value.inferences)) return merged;
  const into = merged ?? {
    profile: new Profile(spec),
    reports: 0,
    targets: new Set<string>(),
    quality: emptyQuality(),
    feedbackReports: 0,
  };
  into.profile.mergeDelta(delta.value);
  into.reports++;
  into.targets.add(target);
  if (row.feedback !== null && addFeedback(into.quality, row.feedback)) into.feedbackReports++;
  return into;
}

/** Counts with nothing in them. */
export function emptyQuality(): QualityCounts {
  return { labelled: 0, correct: 0, reviewLabelled: 0, reviewCorrect: 0, routedAuto: 0, routedReview: 0 };
}

/**
 * Adds a stored feedback aggregate (validated at ingest, so read without a schema: a stage may merge thousands per
 * tick) into `into`; only its scalar totals, so cohorts whose versions have other class lists still add up. False
 * when the text is not one.
 */
function addFeedback(into: QualityCounts, text: string): boolean {
  let f: Partial<FeedbackAggregate>;
  try {
    f = JSON.parse(text) as Partial<FeedbackAggregate>;
  } catch {
    return false;
  }
  const count = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  if (!Array.isArray(f?.counts) || !f.labels || !f.routed) return false;
  for (const [t, row] of f.counts.entries()) {
    if (!Array.isArray(row)) continue;
    for (const [p, c] of row.entries()) {
      into.labelled += count(c);
      if (p === t) into.correct += count(c);
    }
  }
  into.reviewLabelled += count(f.labels.review?.labelled);
  into.reviewCorrect += count(f.labels.review?.correct);
  into.routedAuto += count(f.routed.auto);
  into.routedReview += count(f.routed.review);
  return true;
}
function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Binary search in ids sorted by `<` (as `resolveDeviceTargets` returns them). */
function hasSorted(ids: readonly string[], id: string): boolean {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = ids[mid]!;
    if (at === id) return true;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
