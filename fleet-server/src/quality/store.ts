import type { FeedbackAggregate } from '@edgefleet/shared';
import { and, eq, gte, isNotNull, lt, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { rawKeptFromMs } from '../monitoring/tier-rows';

/** Most reports one quality read merges (newest first beyond it would be a lie: it refuses instead). */
export const MAX_QUALITY_REPORTS = 200_000;

/** The feedback aggregates of a version's merged active reports whose window ends in `[fromMs, toMs)`. */
export function feedbackOf(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
): FeedbackAggregate[] {
  return feedbackRowsOf(db, q).map((row) => row.feedback);
}

/** One report's feedback with where it came from (a device and its labels now, or a web app). */
export interface FeedbackRow {
  scope: 'dev' | 'app';
  sourceId: string;
  /** A raw report's window end; an hourly row's hour start. */
  windowEndMs: number;
  /** Reports summed into `feedback` (1 when absent: a raw report). */
  reports?: number;
  feedback: FeedbackAggregate;
  /** The device's labels as they are now (null for an app, or a device no longer enrolled). */
  deviceLabels: Record<string, string> | null;
}

/**
 * {@link feedbackOf} with each report's source and the device's labels (for slices and time buckets). Hours before
 * the raw retention's reach come from the hourly tier (one row per source and hour, standing at the hour's start),
 * later ones from the raw reports.
 */
export function feedbackRowsOf(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
): FeedbackRow[] {
  const keptFrom = rawKeptFromMs(db);
  const old = keptFrom > q.fromMs ? hourlyFeedbackRows(db, { ...q, toMs: Math.min(q.toMs, keptFrom) }) : [];
  if (keptFrom >= q.toMs) return old;
  return [...old, ...rawFeedbackRows(db, q, keptFrom)];
}

function hourlyFeedbackRows(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
): FeedbackRow[] {
  const a = schema.telemetryAggregates;
  const d = schema.devices;
  return db
    .select({
      scope: a.scope,
      sourceId: a.sourceId,
      windowEndMs: a.hourMs,
      reports: a.feedbackReports,
      feedback: a.feedback,
      deviceLabels: d.labels,
    })
    .from(a)
    .leftJoin(d, and(eq(a.scope, 'dev'), eq(d.id, a.sourceId)))
    .where(
      and(
        eq(a.modelName, q.modelName),
        eq(a.modelVersion, q.version),
        eq(a.role, 'active'),
        isNotNull(a.feedback),
        gte(a.hourMs, q.fromMs),
        lt(a.hourMs, q.toMs),
      ),
    )
    .limit(MAX_QUALITY_REPORTS + 1)
    .all()
    .flatMap((row) =>
      row.feedback ? [{ ...row, feedback: row.feedback, deviceLabels: row.deviceLabels ?? null }] : [],
    );
}

function rawFeedbackRows(
  db: FleetDb,
  q: { modelName: string; version: string; fromMs: number; toMs: number },
  windowFromMs: number,
): FeedbackRow[] {
  const r = schema.telemetryReports;
  const d = schema.devices;
  return db
    .select({
      scope: r.scope,
      sourceId: r.sourceId,
      windowEndMs: r.windowEndMs,
      reports: sql<number>`1`,
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
        gte(r.windowStartMs, windowFromMs),
      ),
    )
    .limit(MAX_QUALITY_REPORTS + 1)
    .all()
    .flatMap((row) =>
      row.feedback ? [{ ...row, feedback: row.feedback, deviceLabels: row.deviceLabels ?? null }] : [],
    );
}
