import { and, eq, max, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { AggregateKey } from './aggregates';

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

  constructor(readonly db: FleetDb) {
    const r = schema.telemetryReports;
    const a = schema.telemetryAggregates;
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
      .select({ reports: a.reports, profile: a.profile })
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
        updatedAt: p('updatedAt'),
      })
      .onConflictDoUpdate({
        target: [a.modelName, a.modelVersion, a.role, a.scope, a.sourceId, a.hourMs],
        set: {
          reports: sql`excluded.reports`,
          inferences: sql`excluded.inferences`,
          errors: sql`excluded.errors`,
          profile: sql`excluded.profile`,
          updatedAt: sql`excluded.updated_at`,
        },
      })
      .prepare();
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

  /** An aggregate row's report count and ProfileJSON text. */
  aggregate(key: AggregateKey): { reports: number; profile: string } | undefined {
    return this.aggregateQuery.get({ ...key });
  }

  /** Writes an aggregate row (insert or replace its figures). */
  saveAggregate(row: AggregateRow): void {
    this.upsertAggregate.run(row);
  }
}
