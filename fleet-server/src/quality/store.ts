import type { FeedbackAggregate } from '@edgefleet/shared';
import { and, eq, gte, isNotNull, lt } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

/** Most reports one quality read merges (newest first beyond it would be a lie: it refuses instead). */
export const MAX_QUALITY_REPORTS = 200_000;

/** The feedback aggregates of a version's merged active reports whose window ends in `[fromMs, toMs)`. */
export function feedbackOf(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
): FeedbackAggregate[] {
  const r = schema.telemetryReports;
  return db
    .select({ feedback: r.feedback })
    .from(r)
    .where(
      and(
        eq(r.modelName, q.modelName),
        eq(r.modelVersion, q.version),
        eq(r.role, 'active'),
        eq(r.status, 'merged'),
        isNotNull(r.feedback),
        gte(r.windowEndMs, q.fromMs),
        lt(r.windowEndMs, q.toMs),
      ),
    )
    .limit(MAX_QUALITY_REPORTS + 1)
    .all()
    .flatMap((row) => (row.feedback ? [row.feedback] : []));
}
