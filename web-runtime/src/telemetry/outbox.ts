import type { OutboxEntry, Store } from '../storage/db';
import { getMeta } from '../storage/db';

/** What a full outbox dropped, carried in every later report (never silent). */
export interface OverflowCounts {
  mergedWindows: number;
  droppedReports: number;
  droppedInferences: number;
}

const OVERFLOW_KEY = 'overflow';
const ZERO: OverflowCounts = { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 };

/**
 * The durable telemetry outbox in IndexedDB: reports keyed by `(epoch, seq)`, removed only when the server
 * acknowledged them, bounded to `maxReports` (oldest dropped first, and counted).
 */
export class Outbox {
  constructor(
    private readonly store: Store,
    public maxReports: number,
  ) {}

  /** Adds a report (awaited), dropping the oldest beyond the bound. */
  async add(entry: OutboxEntry): Promise<void> {
    const tx = this.store.transaction(['outbox', 'meta'], 'readwrite');
    const outbox = tx.objectStore('outbox');
    await outbox.put(entry);
    let count = await outbox.count();
    if (count > this.maxReports) {
      const overflow = { ...ZERO, ...((await tx.objectStore('meta').get(OVERFLOW_KEY))?.value as object) };
      let cursor = await outbox.openCursor();
      while (cursor && count > this.maxReports) {
        overflow.droppedReports++;
        overflow.droppedInferences += cursor.value.inferences;
        await cursor.delete();
        count--;
        cursor = await cursor.continue();
      }
      await tx.objectStore('meta').put({ key: OVERFLOW_KEY, value: overflow });
    }
    await tx.done;
  }

  /** The oldest `limit` reports. */
  async peek(limit: number): Promise<OutboxEntry[]> {
    return this.store.getAll('outbox', undefined, limit);
  }

  /** Reports waiting. */
  count(): Promise<number> {
    return this.store.count('outbox');
  }

  /** Deletes acknowledged reports. */
  async remove(keys: [number, number][]): Promise<void> {
    const tx = this.store.transaction('outbox', 'readwrite');
    for (const key of keys) await tx.store.delete(key);
    await tx.done;
  }

  /** Overflow counters of this epoch. */
  async overflow(): Promise<OverflowCounts> {
    return { ...ZERO, ...(await getMeta<OverflowCounts>(this.store, OVERFLOW_KEY)) };
  }
}
