import type { CaptureCounters } from '@edgefleet/shared/capture';
import type { CaptureStore, StoredSample } from './store';

const DAY_MS = 86_400_000;

/** What {@link SampleQueue.enqueue} did with a sample. */
export type EnqueueOutcome = 'queued' | 'duplicate' | 'overflow' | 'store_failed';

/**
 * The durable queue of captured samples waiting for upload (its own table in `capture.db`, apart from the
 * telemetry outbox): deduplicated by content sha256, bounded in bytes (a sample that does not fit is refused and
 * counted as `overflow`: what waits already is kept), and samples older than the policy's `clientRetentionDays`
 * are deleted and counted as `retention`. Never throws: a failing disk is counted as `storeFailed`.
 */
export class SampleQueue {
  private depth = { samples: 0, bytes: 0 };

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

  /** Whether `sizeBytes` more fit under the bound. */
  fits(sizeBytes: number): boolean {
    return this.depth.bytes + sizeBytes <= this.maxBytes;
  }

  enqueue(sample: Omit<StoredSample, 'attempts'>): EnqueueOutcome {
    if (!this.fits(sample.sizeBytes)) {
      this.counters.dropped.overflow++;
      return 'overflow';
    }
    try {
      if (!this.store.insert(sample)) return 'duplicate';
    } catch {
      this.counters.dropped.storeFailed++;
      return 'store_failed';
    }
    this.depth = { samples: this.depth.samples + 1, bytes: this.depth.bytes + sample.sizeBytes };
    this.publishDepth();
    return 'queued';
  }

  /** The oldest sample waiting. */
  next(): StoredSample | undefined {
    try {
      return this.store.next();
    } catch {
      return undefined;
    }
  }

  /** Removes a sample (uploaded, a duplicate on the server, or refused for good). */
  remove(sample: StoredSample): void {
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
