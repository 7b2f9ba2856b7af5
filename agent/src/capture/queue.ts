import type { CaptureCounters } from '@edgefleet/shared/capture';
import type { CaptureStore, StoredSample } from './store';

const DAY_MS = 86_400_000;

/** What {@link SampleQueue.enqueue} did with a sample. */
export type EnqueueOutcome = 'queued' | 'duplicate' | 'overflow' | 'store_failed';

/**
 * The durable queue of captured samples waiting for upload (its own table in `capture.db`, apart from the
 * telemetry outbox): deduplicated by content sha256, bounded in bytes, and samples older than the policy's
 * `clientRetentionDays` are deleted and counted as `retention`. When a sample does not fit, older ones make room
 * for it (counted as `evicted`): samples only the ε-random rule chose go first, oldest first, then — for a sample a
 * rule about the model chose (low confidence, low margin, out of range, disagreement) — the oldest of the others;
 * a random-only sample never pushes out a rule-chosen one, and the sample being uploaded is never evicted. A sample
 * that cannot get room is refused and counted as `overflow`. Never throws: a failing disk is counted as
 * `storeFailed`.
 */
export class SampleQueue {
  private depth = { samples: 0, bytes: 0 };
  /** The sample handed to the uploader last (kept out of eviction until it is removed or tried). */
  private leased: string | undefined;

  constructor(
    private readonly store: CaptureStore,
    private readonly counters: CaptureCounters,
    public maxBytes: number,
    private readonly now: () => number,
  ) {
    this.refresh();
  }

  /** Samples and bytes waiting. */
  get size(): Readonly<{ samples: number; bytes: number }> {
    return this.depth;
  }

  /** Whether a sample of this content waits already (a recapture costs no budget). */
  has(sha256: string): boolean {
    try {
      return this.store.has(sha256);
    } catch {
      return false;
    }
  }

  /** Whether `sizeBytes` more fit under the bound as it is (without evicting). */
  fits(sizeBytes: number): boolean {
    return this.depth.bytes + sizeBytes <= this.maxBytes;
  }

  /** Whether a sample of `sizeBytes` can be queued, evicting what its reasons allow if needed. */
  roomFor(sizeBytes: number, randomOnly: boolean): boolean {
    if (sizeBytes > this.maxBytes) return false;
    if (this.fits(sizeBytes)) return true;
    try {
      return this.store.victims(this.needed(sizeBytes), { randomOnly, keep: this.leased }) !== undefined;
    } catch {
      return false;
    }
  }

  /** Queues a sample, evicting older ones when it does not fit (see the class); `randomOnly`: its only reason is `random`. */
  enqueue(sample: Omit<StoredSample, 'attempts'>, randomOnly = false): EnqueueOutcome {
    if (sample.sizeBytes > this.maxBytes) {
      this.counters.dropped.overflow++;
      return 'overflow';
    }
    let evicted: { sha256: string; sizeBytes: number }[] | undefined;
    try {
      evicted = this.store.victims(this.needed(sample.sizeBytes), { randomOnly, keep: this.leased });
      if (!evicted) {
        this.counters.dropped.overflow++;
        return 'overflow';
      }
      if (!this.store.insertEvicting(sample, evicted)) return 'duplicate';
    } catch {
      this.counters.dropped.storeFailed++;
      return 'store_failed';
    }
    const freed = evicted.reduce((sum, v) => sum + v.sizeBytes, 0);
    this.counters.dropped.evicted += evicted.length;
    this.depth = {
      samples: this.depth.samples + 1 - evicted.length,
      bytes: this.depth.bytes + sample.sizeBytes - freed,
    };
    this.publishDepth();
    return 'queued';
  }

  /** The oldest sample waiting. */
  next(): StoredSample | undefined {
    try {
      const sample = this.store.next();
      this.leased = sample?.sha256;
      return sample;
    } catch {
      return undefined;
    }
  }

  /** Removes a sample (uploaded, a duplicate on the server, or refused for good). */
  remove(sample: StoredSample): void {
    if (this.leased === sample.sha256) this.leased = undefined;
    try {
      if (this.store.delete(sample.sha256)) {
        this.depth = {
          samples: Math.max(0, this.depth.samples - 1),
          bytes: Math.max(0, this.depth.bytes - sample.sizeBytes),
        };
        this.publishDepth();
      }
    } catch {
      this.counters.dropped.storeFailed++;
    }
  }

  /** Counts a failed try of a sample that stays queued. */
  countTry(sample: StoredSample): void {
    if (this.leased === sample.sha256) this.leased = undefined;
    try {
      this.store.countTry(sample.sha256);
    } catch {
      // only a figure for the logs
    }
  }

  /** Drops samples that waited longer than `retentionDays`; returns how many. */
  expire(retentionDays: number): number {
    try {
      const gone = this.store.expire(this.now() - retentionDays * DAY_MS);
      if (gone.samples > 0) {
        this.counters.dropped.retention += gone.samples;
        this.refresh();
      }
      return gone.samples;
    } catch {
      return 0;
    }
  }

  /** Bytes to free before `sizeBytes` more fit. */
  private needed(sizeBytes: number): number {
    return this.depth.bytes + sizeBytes - this.maxBytes;
  }

  private refresh(): void {
    try {
      this.depth = this.store.totals();
    } catch {
      // keep the last known depth
    }
    this.publishDepth();
  }

  private publishDepth(): void {
    this.counters.queue.samples = this.depth.samples;
    this.counters.queue.bytes = this.depth.bytes;
  }
}
