import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

/** One source's inferences and errors of a model (all versions, active role) over a range. */
export interface SourceTraffic {
  scope: string;
  sourceId: string;
  inferences: number;
  errors: number;
}

/**
 * Inferences and errors per source (device or app) of a model over `[fromMs, toMs)` from the hourly aggregates
 * (hours that start in the range), summed over its versions: the traffic a rollout of the model would see.
 */
export function modelTrafficBySource(
  db: FleetDb,
  model: string,
  fromMs: number,
  toMs: number,
): SourceTraffic[] {
  const t = schema.telemetryAggregates;
  return db
    .select({
      scope: t.scope,
      sourceId: t.sourceId,
      inferences: sql<number>`sum(${t.inferences})`,
      errors: sql<number>`sum(${t.errors})`,
    })
    .from(t)
    .where(and(eq(t.modelName, model), eq(t.role, 'active'), gte(t.hourMs, fromMs), lt(t.hourMs, toMs)))
    .groupBy(t.scope, t.sourceId)
    .all();
}
