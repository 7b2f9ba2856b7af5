import { and, eq, max, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { AggregateKey, AggregateTable, FleetHourKey, StoredAggregate } from './aggregates';
import { packProfile } from './profile-codec';

/** One report row as stored. */
export type ReportRow = typeof schema.telemetryReports.$inferInsert;

/** One aggregate row as stored. */
export type AggregateRow = typeof schema.telemetryAggregates.$inferInsert;

const p = sql.placeholder;

/**
 * The ingest hot path's statements, prepared once through drizzle (placeholders, so they stay portable
 * across drizzle dialects): building a query per row cost more than running it.
 */
export class TelemetryStore {
  private readonly insertReport;
  private readonly highestSeqQuery;
  private readonly aggregateCountQuery;
  private readonly aggregateQuery;
  private readonly upsertAggregate;
  private readonly markQuery;
  /** Per-source hourly rows, for the {@link AggregateMerger}. */
  readonly sourceHours: AggregateTable<AggregateKey>;
  /** Fleet-wide hourly rows, for the {@link AggregateMerger}. */
  readonly fleetHours: AggregateTable<FleetHourKey>;

  constructor(readonly db: FleetDb) {
    const r = schema.telemetryReports;
    const a = schema.telemetryAggregates;
    const m = schema.telemetryClientMarks;
    this.markQuery = db
      .select({ seq: m.prunedSeq })
      .from(m)
      .where(
        and(
          eq(m.scope, p('scope')),
          eq(m.sourceId, p('sourceId')),
          eq(m.clientId, p('clientId')),
          eq(m.epoch, p('epoch')),
        ),
      )
      .prepare();
    this.insertReport = db
      .insert(r)
      .values({
        scope: p('scope'),
        sourceId: p('sourceId'),
        clientId: p('clientId'),
        epoch: p('epoch'),
        seq: p('seq'),
        modelName: p('modelName'),
        modelVersion: p('modelVersion'),
        role: p('role'),
        windowStartMs: p('windowStartMs'),
        windowEndMs: p('windowEndMs'),
        specHash: p('specHash'),
        status: p('status'),
        inferences: p('inferences'),
        errors: p('errors'),
        runtime: p('runtime'),
        overflow: p('overflow'),
        software: p('software'),
        feedback: p('feedback'),
        profile: p('profile'),
        receivedAt: p('receivedAt'),
      })
      .onConflictDoNothing()
      .prepare();
    this.highestSeqQuery = db
      .select({ seq: max(r.seq) })
      .from(r)
      .where(
        and(
          eq(r.scope, p('scope')),
          eq(r.sourceId, p('sourceId')),
          eq(r.clientId, p('clientId')),
          eq(r.epoch, p('epoch')),
        ),
      )
      .prepare();
    const aggregateWhere = and(
      eq(a.modelName, p('modelName')),
      eq(a.modelVersion, p('modelVersion')),
      eq(a.role, p('role')),
      eq(a.scope, p('scope')),
      eq(a.sourceId, p('sourceId')),
      eq(a.hourMs, p('hourMs')),
    );
    this.aggregateCountQuery = db.select({ reports: a.reports }).from(a).where(aggregateWhere).prepare();
    this.aggregateQuery = db
      .select({
        reports: a.reports,
        profile: a.profile,
        feedback: a.feedback,
        feedbackReports: a.feedbackReports,
      })
      .from(a)
      .where(aggregateWhere)
      .prepare();
    this.upsertAggregate = db
      .insert(a)
      .values({
        modelName: p('modelName'),
        modelVersion: p('modelVersion'),
        role: p('role'),
        scope: p('scope'),
        sourceId: p('sourceId'),
        hourMs: p('hourMs'),
        specHash: p('specHash'),
        reports: p('reports'),
        inferences: p('inferences'),
        errors: p('errors'),
        profile: p('profile'),
        feedback: p('feedback'),
        feedbackReports: p('feedbackReports'),
        updatedAt: p('updatedAt'),
      })
      .onConflictDoUpdate({
        target: [a.modelName, a.modelVersion, a.role, a.scope, a.sourceId, a.hourMs],
        set: {
          reports: sql`excluded.reports`,
          inferences: sql`excluded.inferences`,
          errors: sql`excluded.errors`,
          profile: sql`excluded.profile`,
          feedback: sql`excluded.feedback`,
          feedbackReports: sql`excluded.feedback_reports`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .prepare();
    this.sourceHours = {
      idOf: (k) =>
        `${k.modelName}\u0000${k.modelVersion}\u0000${k.role}\u0000${k.scope}\u0000${k.sourceId}\u0000${k.hourMs}`,
      reportsOf: (k) => this.aggregateReports(k),
      read: (k) => this.aggregate(k),
      save: (k, merged, nowMs) =>
        this.saveAggregate({
          ...k,
          specHash: merged.profile.specHash,
          reports: merged.reports,
          inferences: merged.profile.inferences,
          errors: merged.profile.errorCount,
          profile: packProfile(JSON.stringify(merged.profile.toJSON())),
          feedback: merged.feedback,
          feedbackReports: merged.feedbackReports,
          updatedAt: nowMs,
        }),
    };
    this.fleetHours = fleetHourTable(db);
  }

  /** Highest seq of a client's epoch whose raw report retention deleted (0 when none). */
  prunedSeq(scope: string, sourceId: string, clientId: string, epoch: number): number {
    return this.markQuery.get({ scope, sourceId, clientId, epoch })?.seq ?? 0;
  }

  /** Inserts a report unless its (scope, source, client, epoch, seq) is stored; true when it was new. */
  insert(row: ReportRow): boolean {
    return this.insertReport.run(row).changes > 0;
  }

  /** Highest stored seq of a client's epoch (0 when none). */
  highestSeq(scope: string, sourceId: string, clientId: string, epoch: number): number {
    return this.highestSeqQuery.get({ scope, sourceId, clientId, epoch })?.seq ?? 0;
  }

  /** Reports merged so far into an aggregate row (cheap check of a cached copy), undefined when absent. */
  aggregateReports(key: AggregateKey): number | undefined {
    return this.aggregateCountQuery.get({ ...key })?.reports;
  }

  /** An aggregate row's report count, ProfileJSON text and feedback. */
  aggregate(key: AggregateKey): StoredAggregate | undefined {
    return this.aggregateQuery.get({ ...key });
  }

  /** Writes an aggregate row (insert or replace its figures). */
  saveAggregate(row: AggregateRow): void {
    this.upsertAggregate.run(row);
  }
}

/** The fleet-wide tier's hourly rows (period `hour` of telemetry_fleet), with statements prepared once. */
function fleetHourTable(db: FleetDb): AggregateTable<FleetHourKey> {
  const f = schema.telemetryFleet;
  const where = and(
    eq(f.modelName, p('modelName')),
    eq(f.modelVersion, p('modelVersion')),
    eq(f.role, p('role')),
    eq(f.period, 'hour'),
    eq(f.startMs, p('hourMs')),
  );
  const count = db.select({ reports: f.reports }).from(f).where(where).prepare();
  const row = db.select({ reports: f.reports, profile: f.profile }).from(f).where(where).prepare();
  const upsert = db
    .insert(f)
    .values({
      modelName: p('modelName'),
      modelVersion: p('modelVersion'),
      role: p('role'),
      period: 'hour',
      startMs: p('hourMs'),
      specHash: p('specHash'),
      reports: p('reports'),
      inferences: p('inferences'),
      errors: p('errors'),
      profile: p('profile'),
      updatedAt: p('updatedAt'),
    })
    .onConflictDoUpdate({
      target: [f.modelName, f.modelVersion, f.role, f.period, f.startMs],
      set: {
        reports: sql`excluded.reports`,
        inferences: sql`excluded.inferences`,
        errors: sql`excluded.errors`,
        profile: sql`excluded.profile`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
    .prepare();
  return {
    idOf: (k) => `${k.modelName}\u0000${k.modelVersion}\u0000${k.role}\u0000${k.hourMs}`,
    reportsOf: (k) => count.get({ ...k })?.reports,
    read: (k) => row.get({ ...k }),
    save: (k, merged, nowMs) =>
      upsert.run({
        ...k,
        specHash: merged.profile.specHash,
        reports: merged.reports,
        inferences: merged.profile.inferences,
        errors: merged.profile.errorCount,
        profile: packProfile(JSON.stringify(merged.profile.toJSON())),
        updatedAt: nowMs,
      }),
  };
}
