import { type FeedbackAggregate, mergeFeedback, Profile, type ProfileDelta } from '@edgefleet/shared';
import type { Logger } from 'pino';
import { profileText, type StoredProfile } from './profile-codec';
import type { ReportEnvelope } from './report-envelope';
import type { TelemetryScope } from './schema';

/** Identity of one aggregate row: a model version's role on one source in one UTC hour. */
export interface AggregateKey {
  modelName: string;
  modelVersion: string;
  role: 'active' | 'shadow';
  scope: TelemetryScope;
  sourceId: string;
  hourMs: number;
}

/** Identity of one fleet-wide hourly row: a model version's role over every source in one UTC hour. */
export interface FleetHourKey {
  modelName: string;
  modelVersion: string;
  role: 'active' | 'shadow';
  hourMs: number;
}

/** The aggregate key of a report from `source` whose window starts in the hour `hourMs`. */
export function aggregateKeyOf(
  source: { scope: TelemetryScope; sourceId: string },
  report: Pick<ReportEnvelope, 'model' | 'role'>,
  hourMs: number,
): AggregateKey {
  return {
    modelName: report.model.name,
    modelVersion: report.model.version,
    role: report.role,
    scope: source.scope,
    sourceId: source.sourceId,
    hourMs,
  };
}

/** A stored aggregate as read back: its counts, ProfileJSON text and (per-source rows) summed feedback. */
export interface StoredAggregate {
  reports: number;
  profile: StoredProfile;
  feedback?: FeedbackAggregate | null;
  feedbackReports?: number;
}

/** What an aggregate row holds in memory while reports are merged into it. */
export interface MergedAggregate {
  profile: Profile;
  reports: number;
  feedback: FeedbackAggregate | null;
  feedbackReports: number;
}

/** The rows one tier keeps (per-source hours, fleet-wide hours), as the merger reads and writes them. */
export interface AggregateTable<K> {
  idOf(key: K): string;
  /** Reports merged so far into the row (a cheap check of a cached copy); undefined when absent. */
  reportsOf(key: K): number | undefined;
  read(key: K): StoredAggregate | undefined;
  save(key: K, merged: MergedAggregate, nowMs: number): void;
}

/** One aggregate row's new reports: their checked profiles and, where a report carried it, its feedback. */
export interface AggregateGroup<K> {
  key: K;
  deltas: ProfileDelta[];
  feedback?: FeedbackAggregate[];
}

/**
 * Read-merge-write of report profiles into their aggregate rows, inside the caller's transaction.
 * Parsing a stored aggregate costs as much as parsing a report, so recently written aggregates stay in
 * memory; a cached copy is used only while the row's report count still matches it (another replica on a
 * shared database may have merged into the row since), otherwise the row is read again.
 */
export class AggregateMerger<K extends object = AggregateKey> {
  private readonly cache = new Map<string, MergedAggregate>();

  constructor(
    private readonly table: AggregateTable<K>,
    private readonly log: Logger,
    private readonly maxCached = 20_000,
  ) {}

  /** Merges each group's checked reports into its row. Call {@link invalidate} when the surrounding transaction fails. */
  merge(groups: Iterable<AggregateGroup<K>>, nowMs: number): void {
    for (const { key, deltas, feedback } of groups) {
      const first = deltas[0];
      if (!first) continue;
      const id = this.table.idOf(key);
      const current = this.load(id, key, first);
      if (!current) continue;
      for (const d of deltas) current.profile.mergeDelta(d);
      current.reports += deltas.length;
      for (const f of feedback ?? []) addFeedbackInto(current, f, this.log, key);
      this.table.save(key, current, nowMs);
      this.cache.delete(id); // re-insert: most recently used last
      this.cache.set(id, current);
      if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    }
  }

  /** Forgets every cached aggregate (their in-memory merges may not have been committed). */
  invalidate(): void {
    this.cache.clear();
  }

  private load(id: string, key: K, like: ProfileDelta): MergedAggregate | null {
    const cached = this.cache.get(id);
    const stored = this.table.reportsOf(key);
    if (cached && stored === cached.reports) return cached;
    if (stored === undefined) {
      return { profile: new Profile(like.spec), reports: 0, feedback: null, feedbackReports: 0 };
    }
    const row = this.table.read(key)!;
    const parsed = Profile.fromJSON(JSON.parse(profileText(row.profile)), like.spec);
    if (!parsed.ok) {
      this.log.error(
        { key: key as unknown, error: parsed.error.message },
        'unreadable telemetry aggregate; not merged',
      );
      return null;
    }
    return {
      profile: parsed.value,
      reports: row.reports,
      feedback: row.feedback ?? null,
      feedbackReports: row.feedbackReports ?? 0,
    };
  }
}

/** Adds one report's feedback into a row's sum; feedback over other classes than the sum's is left out (logged). */
export function addFeedbackInto(
  into: { feedback: FeedbackAggregate | null; feedbackReports: number },
  feedback: FeedbackAggregate,
  log?: Logger,
  context?: unknown,
): void {
  if (!into.feedback) {
    into.feedback = structuredClone(feedback);
    into.feedbackReports++;
    return;
  }
  const merged = mergeFeedback(into.feedback, feedback);
  if (!merged.ok) {
    log?.warn(
      { context, error: merged.error.message },
      'feedback over other classes; left out of the aggregate',
    );
    return;
  }
  into.feedback = merged.value;
  into.feedbackReports++;
}
