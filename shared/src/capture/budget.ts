import type { CapturePolicy } from './policy';

const DAY_MS = 86_400_000;

/** One client's capture spending in one UTC day (persisted by the client: SQLite on the agent, IndexedDB in the browser). */
export interface CaptureDay {
  /** Start of the UTC day, ms. */
  dayMs: number;
  samples: number;
  bytes: number;
  /** Samples per predicted class. */
  perClass: Record<string, number>;
  /** Samples refused today, by what ran out. */
  refused: { samples: number; bytes: number; class_quota: number };
}

/** Why the budget refused a sample. */
export type BudgetRefusal = 'samples' | 'bytes' | 'class_quota';

/** A fresh day record for `nowMs`. */
export function captureDayOf(nowMs: number): CaptureDay {
  return {
    dayMs: Math.floor(nowMs / DAY_MS) * DAY_MS,
    samples: 0,
    bytes: 0,
    perClass: Object.create(null) as Record<string, number>,
    refused: { samples: 0, bytes: 0, class_quota: 0 },
  };
}

/**
 * Admits one sample of `sizeBytes` (predicted class `label`) against the policy's daily budget, or says what ran
 * out. Returns the day record to persist (a new one when `nowMs` is in a later day than `day`); pure.
 */
export function admitSample(
  budget: CapturePolicy['budget'],
  day: CaptureDay,
  sample: { sizeBytes: number; label?: string },
  nowMs: number,
): { day: CaptureDay; refused?: BudgetRefusal } {
  const today = nowMs - day.dayMs >= DAY_MS || nowMs < day.dayMs ? captureDayOf(nowMs) : day;
  const refuse = (why: BudgetRefusal) => ({
    day: { ...today, refused: { ...today.refused, [why]: today.refused[why] + 1 } },
    refused: why,
  });
  if (today.samples + 1 > budget.maxSamplesPerDay) return refuse('samples');
  if (today.bytes + sample.sizeBytes > budget.maxBytesPerDay) return refuse('bytes');
  const quota =
    sample.label !== undefined && budget.classQuotas && Object.hasOwn(budget.classQuotas, sample.label)
      ? budget.classQuotas[sample.label]
      : undefined;
  const classCount = sample.label !== undefined ? (today.perClass[sample.label] ?? 0) : 0;
  if (quota !== undefined && classCount + 1 > quota) return refuse('class_quota');
  const perClass = Object.assign(Object.create(null) as Record<string, number>, today.perClass);
  if (sample.label !== undefined) perClass[sample.label] = classCount + 1;
  return { day: { ...today, samples: today.samples + 1, bytes: today.bytes + sample.sizeBytes, perClass } };
}
