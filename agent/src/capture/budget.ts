import {
  admitSample,
  type BudgetRefusal,
  type CaptureDay,
  type CapturePolicy,
  captureDayOf,
} from '@edgefleet/shared/capture';
import { z } from 'zod';
import type { CaptureStore } from './store';

const count = z.int().min(0);
const daySchema = z.object({
  dayMs: count,
  samples: count,
  bytes: count,
  perClass: z.record(z.string(), count),
  refused: z.object({ samples: count, bytes: count, class_quota: count }),
});

/**
 * The daily capture budget of this device: the shared {@link admitSample} over a day record kept in `capture.db`,
 * so a restart (or a crash loop) never grants a second budget for the same UTC day. A day record that cannot be
 * read starts a fresh day (counted by the caller as a store failure, never silent).
 */
export class CaptureBudget {
  private day: CaptureDay;
  /** Why the stored day record was not used at start, if it was not. */
  readonly problem: string | undefined;

  constructor(
    private readonly store: CaptureStore,
    private readonly now: () => number,
  ) {
    const loaded = loadDay(store.readDay());
    this.day = loaded.day ?? captureDayOf(now());
    this.problem = loaded.problem;
  }

  /** Today's spending as recorded (the day it started may be over: the next admit rolls it). */
  get today(): Readonly<CaptureDay> {
    return this.day;
  }

  /**
   * Admits one sample against the policy's budget and persists the day record (a refusal is counted in it too).
   * Throws when the record cannot be written: the caller then does not keep the sample.
   */
  admit(
    budget: CapturePolicy['budget'],
    sample: { sizeBytes: number; label?: string },
  ): BudgetRefusal | undefined {
    const r = admitSample(budget, this.day, sample, this.now());
    this.store.writeDay(JSON.stringify(r.day));
    this.day = r.day;
    return r.refused;
  }
}

function loadDay(json: string | undefined): { day?: CaptureDay; problem?: string } {
  if (json === undefined) return {};
  let parsed: ReturnType<typeof daySchema.safeParse>;
  try {
    parsed = daySchema.safeParse(JSON.parse(json));
  } catch (err) {
    return { problem: `capture day record is not JSON: ${(err as Error).message}` };
  }
  if (!parsed.success) return { problem: `capture day record: ${parsed.error.issues[0]?.message}` };
  // A class named like an Object.prototype key stays a plain count (admitSample reads perClass by key).
  const perClass = Object.assign(Object.create(null) as Record<string, number>, parsed.data.perClass);
  return { day: { ...parsed.data, perClass } };
}
