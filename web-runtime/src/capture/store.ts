import {
  admitSample,
  type BudgetRefusal,
  type CaptureDay,
  type CapturePolicy,
  captureDayOf,
} from '@edgefleet/shared/capture';
// Types only from the runtime's modules: the capture chunk shares no code with the base bundle (no common chunk).
import type { SampleEntry, Store } from '../storage/db';

/** What happened to captured samples on this client, since its storage was created (persisted). */
export interface CaptureCounters {
  /** Samples queued for upload. */
  captured: number;
  /** Samples the server stored (201) or already had (200). */
  uploaded: number;
  /** Same content captured again while still queued: kept once. */
  duplicates: number;
  /** Refused by the daily budget, by what ran out. */
  budget: { samples: number; bytes: number; class_quota: number };
  /**
   * Dropped on the client: queue full, older than `clientRetentionDays`, not encodable, not writable, or more
   * captures waiting to be encoded than the runtime holds in memory.
   */
  dropped: { queue_full: number; expired: number; encode_failed: number; storage: number; backlog: number };
  /** Refused for good by the server (dropped), by HTTP status. */
  refused: Record<string, number>;
  /** Labels on predictions whose input was no longer kept (disagreement not captured). */
  disagreementInputGone: number;
}

export const emptyCounters = (): CaptureCounters => ({
  captured: 0,
  uploaded: 0,
  duplicates: 0,
  budget: { samples: 0, bytes: 0, class_quota: 0 },
  dropped: { queue_full: 0, expired: 0, encode_failed: 0, storage: 0, backlog: 0 },
  refused: {},
  disagreementInputGone: 0,
});

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

  async counters(): Promise<CaptureCounters> {
    return {
      ...emptyCounters(),
      ...((await this.db.get('meta', COUNTERS_KEY))?.value as CaptureCounters | undefined),
    };
  }

  async setCounters(counters: CaptureCounters): Promise<void> {
    await this.db.put('meta', { key: COUNTERS_KEY, value: counters });
  }

  /**
   * Queues a sample in one transaction with the day record and the queue's byte total (so two tabs never both
   * pass a bound): `duplicate` when its content is already queued (nothing spent), the budget's refusal (counted
   * in the day record), `full` when the queue would exceed `maxSamples` or `maxBytes`, else `added`.
   */
  async add(
    entry: SampleEntry,
    budget: CapturePolicy['budget'],
    bound: { maxSamples: number; maxBytes: number },
    nowMs: number,
  ): Promise<'added' | 'duplicate' | 'full' | BudgetRefusal> {
    const tx = this.db.transaction(['samples', 'meta'], 'readwrite');
    const samples = tx.objectStore('samples');
    const meta = tx.objectStore('meta');
    const outcome = await (async () => {
      if (await samples.getKey(entry.sha256)) return 'duplicate';
      const count = await samples.count();
      const bytes = ((await meta.get(BYTES_KEY))?.value as number | undefined) ?? 0;
      if (count + 1 > bound.maxSamples || bytes + entry.content.byteLength > bound.maxBytes) return 'full';
      const day = ((await meta.get(DAY_KEY))?.value as CaptureDay | undefined) ?? captureDayOf(nowMs);
      const top = entry.meta.top?.[0]?.label;
      const admitted = admitSample(
        budget,
        day,
        { sizeBytes: entry.content.byteLength, ...(top !== undefined ? { label: top } : {}) },
        nowMs,
      );
      await meta.put({ key: DAY_KEY, value: admitted.day });
      if (admitted.refused) return admitted.refused;
      await samples.put(entry);
      await meta.put({ key: BYTES_KEY, value: bytes + entry.content.byteLength });
      return 'added';
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
