import {
  admitSample,
  type BudgetRefusal,
  type CaptureCounters,
  type CaptureDay,
  type CapturePolicy,
  captureDayOf,
} from '@edgefleet/shared/capture';
// Types only from the runtime's modules: the capture chunk shares no code with the base bundle (no common chunk).
import type { SampleEntry, Store } from '../storage/db';

/**
 * What capture did on this client since its storage was created (persisted): the counters every client reports
 * in telemetry (`captureCountersSchema`, the agent's too), and what only a browser has.
 */
export interface BrowserCaptureCounters extends CaptureCounters {
  /** Server refusals for good by HTTP status (`dropped.rejected` counts them all). */
  rejectedByStatus: Record<string, number>;
  /** Labels on predictions whose input was no longer kept (disagreement not captured). */
  disagreementInputGone: number;
}

/** Counters of a client that captured nothing yet (the shape `captureCountersSchema` checks). */
export const emptyCounters = (): BrowserCaptureCounters => ({
  captured: { low_confidence: 0, low_margin: 0, out_of_range: 0, random: 0, disagreement: 0 },
  refused: { samples: 0, bytes: 0, class_quota: 0 },
  dropped: { retention: 0, overflow: 0, rejected: 0, storeFailed: 0, evicted: 0 },
  uploaded: 0,
  duplicates: 0,
  queue: { samples: 0, bytes: 0 },
  rejectedByStatus: {},
  disagreementInputGone: 0,
});

/** Persisted counters read back: what does not fit the current shape (an earlier version's, a damaged record) is 0. */
export const readCounters = (stored: unknown): BrowserCaptureCounters => fill(emptyCounters(), stored);

/** `stored` read into the shape of `template`: counts where the template has counts (others 0), never throws. */
function fill<T>(template: T, stored: unknown): T {
  if (typeof template === 'number')
    return (typeof stored === 'number' && Number.isSafeInteger(stored) && stored >= 0 ? stored : 0) as T;
  const from = stored !== null && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const out = { ...template } as Record<string, unknown>;
  const keys = Object.keys(out);
  // An empty template object is a record of counts (by HTTP status).
  if (keys.length === 0) {
    for (const [k, v] of Object.entries(from)) if (/^\d{3}$/.test(k)) out[k] = fill(0, v);
    return out as T;
  }
  for (const k of keys) out[k] = fill(out[k], from[k]);
  return out as T;
}

/** What {@link SampleStore.add} did; `evicted`: older samples removed to make room. */
export type AddOutcome =
  | { kind: 'added'; evicted: number }
  | { kind: 'duplicate' | 'full' }
  | { kind: BudgetRefusal };

const isRandomOnly = (entry: SampleEntry) =>
  entry.meta.reasons.length === 1 && entry.meta.reasons[0] === 'random';

const DAY_KEY = 'captureDay';
const COUNTERS_KEY = 'captureCounters';
const BYTES_KEY = 'captureQueueBytes';

/** The sample queue in IndexedDB (store `samples`, apart from the telemetry outbox) and its day record. */
export class SampleStore {
  constructor(private readonly db: Store) {}

  /** Today's capture spending (a fresh record when none is kept). */
  async day(nowMs: number): Promise<CaptureDay> {
    return ((await this.db.get('meta', DAY_KEY))?.value as CaptureDay | undefined) ?? captureDayOf(nowMs);
  }

  async counters(): Promise<BrowserCaptureCounters> {
    // Counters an earlier version of the runtime kept in another shape read as 0 where they do not fit.
    return readCounters((await this.db.get('meta', COUNTERS_KEY))?.value);
  }

  async setCounters(counters: BrowserCaptureCounters): Promise<void> {
    await this.db.put('meta', { key: COUNTERS_KEY, value: counters });
  }

  /** Samples waiting and their bytes. */
  async depth(): Promise<{ samples: number; bytes: number }> {
    const tx = this.db.transaction(['samples', 'meta']);
    const samples = await tx.objectStore('samples').count();
    const bytes = ((await tx.objectStore('meta').get(BYTES_KEY))?.value as number | undefined) ?? 0;
    await tx.done;
    return { samples, bytes };
  }

  /**
   * Queues a sample in one transaction with the day record and the queue's byte total (so two tabs never both
   * pass a bound): `duplicate` when its content is already queued (nothing spent), the budget's refusal (counted
   * in the day record), `full` when it cannot get room, else `added`. Room is made by evicting older samples:
   * those only the ε-random rule chose first, oldest first, then — for a sample a rule about the model chose —
   * the oldest others; a random-only sample never pushes out a rule-chosen one, and `keep` (the sample being
   * uploaded) is never evicted.
   */
  async add(
    entry: SampleEntry,
    budget: CapturePolicy['budget'],
    bound: { maxSamples: number; maxBytes: number },
    nowMs: number,
    keep?: string,
  ): Promise<AddOutcome> {
    const tx = this.db.transaction(['samples', 'meta'], 'readwrite');
    const samples = tx.objectStore('samples');
    const meta = tx.objectStore('meta');
    const outcome = await (async (): Promise<AddOutcome> => {
      if (await samples.getKey(entry.sha256)) return { kind: 'duplicate' };
      const size = entry.content.byteLength;
      if (size > bound.maxBytes || bound.maxSamples < 1) return { kind: 'full' };
      const count = await samples.count();
      const bytes = ((await meta.get(BYTES_KEY))?.value as number | undefined) ?? 0;
      const victims: { sha256: string; size: number }[] = [];
      let freed = 0;
      const fits = () =>
        count + 1 - victims.length <= bound.maxSamples && bytes + size - freed <= bound.maxBytes;
      for (const pass of isRandomOnly(entry) ? [true] : [true, false]) {
        if (fits()) break;
        for await (const cursor of samples.index('byQueued').iterate()) {
          const queued = cursor.value;
          if (queued.sha256 === keep || isRandomOnly(queued) !== pass) continue;
          victims.push({ sha256: queued.sha256, size: queued.content.byteLength });
          freed += queued.content.byteLength;
          if (fits()) break;
        }
      }
      if (!fits()) return { kind: 'full' };
      const day = ((await meta.get(DAY_KEY))?.value as CaptureDay | undefined) ?? captureDayOf(nowMs);
      const top = entry.meta.top?.[0]?.label;
      const admitted = admitSample(
        budget,
        day,
        { sizeBytes: size, ...(top !== undefined ? { label: top } : {}) },
        nowMs,
      );
      await meta.put({ key: DAY_KEY, value: admitted.day });
      if (admitted.refused) return { kind: admitted.refused };
      for (const v of victims) await samples.delete(v.sha256);
      await samples.put(entry);
      await meta.put({ key: BYTES_KEY, value: Math.max(0, bytes + size - freed) });
      return { kind: 'added', evicted: victims.length };
    })();
    await tx.done;
    return outcome;
  }

  /** The oldest queued sample, or undefined. */
  async oldest(): Promise<SampleEntry | undefined> {
    const cursor = await this.db.transaction('samples').store.index('byQueued').openCursor();
    return cursor?.value;
  }

  /** Deletes the samples `which` picks (all queued before a time, or one by sha256); how many. */
  async delete(which: { sha256: string } | { queuedBefore: number }): Promise<number> {
    const tx = this.db.transaction(['samples', 'meta'], 'readwrite');
    const samples = tx.objectStore('samples');
    let deleted = 0;
    let freed = 0;
    const range =
      'sha256' in which ? IDBKeyRange.only(which.sha256) : IDBKeyRange.upperBound(which.queuedBefore, true);
    const source = 'sha256' in which ? samples : samples.index('byQueued');
    for await (const cursor of source.iterate(range)) {
      freed += cursor.value.content.byteLength;
      deleted += 1;
      await cursor.delete();
    }
    if (deleted > 0) {
      const meta = tx.objectStore('meta');
      const bytes = ((await meta.get(BYTES_KEY))?.value as number | undefined) ?? 0;
      await meta.put({ key: BYTES_KEY, value: Math.max(0, bytes - freed) });
    }
    await tx.done;
    return deleted;
  }

  count(): Promise<number> {
    return this.db.count('samples');
  }
}
