import { Profile, type ProfileDelta } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { ReportEnvelope } from './report-envelope';
import type { TelemetryScope } from './schema';
import type { TelemetryStore } from './store';

/** Identity of one aggregate row: a model version's role on one source in one UTC hour. */
export interface AggregateKey {
  modelName: string;
  modelVersion: string;
  role: 'active' | 'shadow';
  scope: TelemetryScope;
  sourceId: string;
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

interface Cached {
  profile: Profile;
  reports: number;
}

/**
 * Read-merge-write of report profiles into their hourly aggregate rows, inside the caller's transaction.
 * Parsing a stored aggregate costs as much as parsing a report, so recently written aggregates stay in
 * memory; a cached copy is used only while the row's report count still matches it (another replica on a
 * shared database may have merged into the row since), otherwise the row is read again.
 */
export class AggregateMerger {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly store: TelemetryStore,
    private readonly log: Logger,
    private readonly maxCached = 20_000,
  ) {}

  /** Merges each group's checked reports into its row. Call {@link invalidate} when the surrounding transaction fails. */
  merge(groups: Iterable<{ key: AggregateKey; deltas: ProfileDelta[] }>, nowMs: number): void {
    for (const { key, deltas } of groups) {
      const first = deltas[0];
      if (!first) continue;
      const id = `${key.modelName}\u0000${key.modelVersion}\u0000${key.role}\u0000${key.scope}\u0000${key.sourceId}\u0000${key.hourMs}`;
      const current = this.load(id, key, first);
      if (!current) continue;
      for (const d of deltas) current.profile.mergeDelta(d);
      current.reports += deltas.length;
      this.store.saveAggregate({
        ...key,
        specHash: current.profile.specHash,
        reports: current.reports,
        inferences: current.profile.inferences,
        errors: current.profile.errorCount,
        profile: JSON.stringify(current.profile.toJSON()),
        updatedAt: nowMs,
      });
      this.cache.delete(id); // re-insert: most recently used last
      this.cache.set(id, current);
      if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    }
  }

  /** Forgets every cached aggregate (their in-memory merges may not have been committed). */
  invalidate(): void {
    this.cache.clear();
  }

  private load(id: string, key: AggregateKey, like: ProfileDelta): Cached | null {
    const cached = this.cache.get(id);
    const stored = this.store.aggregateReports(key);
    if (cached && stored === cached.reports) return cached;
    if (stored === undefined) return { profile: new Profile(like.spec), reports: 0 };
    const row = this.store.aggregate(key)!;
    const parsed = Profile.fromJSON(JSON.parse(row.profile), like.spec);
    if (!parsed.ok) {
      this.log.error({ ...key, error: parsed.error.message }, 'unreadable telemetry aggregate; not merged');
      return null;
    }
    return { profile: parsed.value, reports: row.reports };
  }
}
