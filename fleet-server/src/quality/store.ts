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

/** One report's feedback with where it came from (a device and its labels now, or a web app). */
export interface FeedbackRow {
  scope: 'dev' | 'app';
  sourceId: string;
  windowEndMs: number;
  feedback: FeedbackAggregate;
  /** The device's labels as they are now (null for an app, or a device no longer enrolled). */
  deviceLabels: Record<string, string> | null;
}

/** {@link feedbackOf} with each report's source and the device's labels (for slices and time buckets). */
export function feedbackRowsOf(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
): FeedbackRow[] {
  const r = schema.telemetryReports;
  const d = schema.devices;
  return db
    .select({
      scope: r.scope,
      sourceId: r.sourceId,
      windowEndMs: r.windowEndMs,
      feedback: r.feedback,
      deviceLabels: d.labels,
    })
    .from(r)
    .leftJoin(d, and(eq(r.scope, 'dev'), eq(d.id, r.sourceId)))
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
    .flatMap((row) =>
      row.feedback ? [{ ...row, feedback: row.feedback, deviceLabels: row.deviceLabels ?? null }] : [],
    );
}
