import { z } from '../zod';

const count = z.int().check(z.gte(0));

/**
 * What a client's capture did since it started (cumulative, so merging two windows takes the larger of each:
 * the later one), and its sample queue at the window end (merged as the peak). Carried in the software metrics
 * of each telemetry report (see `softwareMetricsSchema`).
 */
export const captureCountersSchema = z.strictObject({
  /** Samples queued, by reason (a sample with two reasons counts under both). */
  captured: z.strictObject({
    low_confidence: count,
    low_margin: count,
    out_of_range: count,
    random: count,
    disagreement: count,
  }),
  /** Samples a rule chose that the daily budget refused, by what ran out. */
  refused: z.strictObject({ samples: count, bytes: count, class_quota: count }),
  /**
   * Samples lost after they were chosen: too old (`clientRetentionDays`), no room in the queue even after
   * evicting, content refused by the server, storage failure, and queued samples evicted to make room for a newer
   * one (ε-random samples first, oldest first; `evicted` is absent in reports of older clients: 0).
   */
  dropped: z.strictObject({
    retention: count,
    overflow: count,
    rejected: count,
    storeFailed: count,
    evicted: z._default(count, 0),
  }),
  /** Samples the server stored, and resends it already had (a lost answer). */
  uploaded: count,
  duplicates: count,
  /** Samples waiting in the queue, and their bytes. */
  queue: z.strictObject({ samples: count, bytes: count }),
});
/** What a client's capture did since it started, and its queue now. */
export type CaptureCounters = z.infer<typeof captureCountersSchema>;

/** Counters of a client that captured nothing yet. */
export function emptyCaptureCounters(): CaptureCounters {
  return {
    captured: { low_confidence: 0, low_margin: 0, out_of_range: 0, random: 0, disagreement: 0 },
    refused: { samples: 0, bytes: 0, class_quota: 0 },
    dropped: { retention: 0, overflow: 0, rejected: 0, storeFailed: 0, evicted: 0 },
    uploaded: 0,
    duplicates: 0,
    queue: { samples: 0, bytes: 0 },
  };
}

/** Two windows' counters merged: each count the larger (they only rise within a client's run); commutative. */
export function mergeCaptureCounters(
  a: CaptureCounters | undefined,
  b: CaptureCounters | undefined,
): CaptureCounters | undefined {
  if (!a || !b) return a ?? b;
  const max = <T extends Record<string, number>>(x: T, y: T): T => {
    const out = { ...x };
    for (const k of Object.keys(y) as (keyof T)[]) out[k] = Math.max(x[k] ?? 0, y[k] ?? 0) as T[keyof T];
    return out;
  };
  return {
    captured: max(a.captured, b.captured),
    refused: max(a.refused, b.refused),
    dropped: max(a.dropped, b.dropped),
    uploaded: Math.max(a.uploaded, b.uploaded),
    duplicates: Math.max(a.duplicates, b.duplicates),
    queue: max(a.queue, b.queue),
  };
}
