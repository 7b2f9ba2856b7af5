import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToUploads } from 'node:timers/promises';
import { safeReaddir, statOrNull } from '../artifacts/fs';
import type { ArtifactStore } from '../artifacts/store';
import type { FleetDb } from '../db';
import type { Logger } from '../logging';
import type { UploadsInFlight } from './in-flight';
import { deleteBudgetDaysBefore, deleteExpiredSamples, knownSamples } from './store';

const DAY_MS = 86_400_000;
/** Samples (rows, then blobs) or blob files handled per batch; uploads run between batches. */
export const SAMPLE_GC_BATCH = 500;
/** A blob without a sample row is removed only once its file is this old (defence in depth beside the holds). */
export const ORPHAN_BLOB_GRACE_MS = 15 * 60_000;
/**
 * Budget days are kept this long: a capture may be uploaded up to its policy's `clientRetentionDays` (≤ 365) + 1
 * after it was taken and is charged to the day it was taken, so a day forgotten earlier could be spent twice.
 */
export const BUDGET_DAY_KEEP_MS = 367 * DAY_MS;

/** What the collector removed, in one pass or in total. */
export interface SampleGcCounts {
  /** Expired samples (unlabelled, last seen before the retention, in no dataset) with their captures. */
  expired: number;
  /** Blob files without a sample row (an upload refused or interrupted after writing its bytes). */
  orphanBlobs: number;
  /** Per-client budget days past their use. */
  budgetDays: number;
  /** Bytes of blob files removed. */
  bytes: number;
}

/** What the collector needs. */
export interface SampleGcDeps {
  db: FleetDb;
  blobs: ArtifactStore;
  inFlight: UploadsInFlight;
  now: () => number;
  logger: Logger;
  /** Unlabelled samples expire this long after their last capture; 0 keeps them. */
  retentionMs: number;
  /** Called with the digest of each sample whose blob was removed (thumbnail cache). */
  onRemoved?: (sha256: string) => void;
}

const emptyCounts = (): SampleGcCounts => ({ expired: 0, orphanBlobs: 0, budgetDays: 0, bytes: 0 });

/**
 * The sample store's collector: expired samples and their blobs, orphan blobs, old budget days, in batches with the
 * event loop free between them. Each batch decides and deletes synchronously (the SQLite calls are synchronous and
 * so are the file removals), so no upload runs between "this digest has no row and no upload holds it" and the
 * removal of its file; an upload that starts later finds no row and writes the bytes again.
 */
export class SampleGc {
  /** Everything removed since start (`edgefleet_sample_gc_removed_total`). */
  readonly totals = emptyCounts();
  readonly #deps: SampleGcDeps;
  #running: Promise<SampleGcCounts> | null = null;

  constructor(deps: SampleGcDeps) {
    this.#deps = deps;
  }

  /** One full pass (a pass already running is joined, not doubled). */
  runPass(): Promise<SampleGcCounts> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Resolves once no pass runs. */
  async idle(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  async #pass(): Promise<SampleGcCounts> {
    const counts = emptyCounts();
    const { db, now, retentionMs } = this.#deps;
    if (retentionMs > 0) {
      for (;;) {
        const expired = deleteExpiredSamples(db, now() - retentionMs, SAMPLE_GC_BATCH);
        for (const sha256 of expired) {
          counts.expired += 1;
          // Held: an upload of these bytes is running and writes their row again; its blob stays.
          if (!this.#deps.inFlight.has(sha256)) counts.bytes += this.#removeBlob(sha256);
        }
        if (expired.length < SAMPLE_GC_BATCH) break;
        await yieldToUploads();
      }
    }
    await this.#removeOrphans(counts);
    counts.budgetDays = deleteBudgetDaysBefore(db, now() - BUDGET_DAY_KEEP_MS);
    for (const key of Object.keys(counts) as (keyof SampleGcCounts)[]) this.totals[key] += counts[key];
    if (counts.expired + counts.orphanBlobs + counts.budgetDays > 0)
      this.#deps.logger.info(counts, 'sample store collected');
    return counts;
  }

  async #removeOrphans(counts: SampleGcCounts): Promise<void> {
    const { blobs } = this.#deps;
    for (const shard of safeReaddir(blobs.root)) {
      const names = safeReaddir(join(blobs.root, shard));
      for (let i = 0; i < names.length; i += SAMPLE_GC_BATCH) {
        const batch = names.slice(i, i + SAMPLE_GC_BATCH);
        // From here to the end of the batch: no await (see the class comment).
        const known = knownSamples(this.#deps.db, batch);
        const cutoff = this.#deps.now() - ORPHAN_BLOB_GRACE_MS;
        for (const name of batch) {
          if (known.has(name) || this.#deps.inFlight.has(name)) continue;
          const path = join(blobs.root, shard, name);
          const stats = statOrNull(path);
          if (!stats?.isFile() || stats.mtimeMs >= cutoff) continue;
          rmSync(path, { force: true });
          this.#deps.onRemoved?.(name);
          counts.orphanBlobs += 1;
          counts.bytes += stats.size;
        }
        await yieldToUploads();
      }
    }
  }

  /** Removes a sample's blob file; its size, or 0 when it was gone. */
  #removeBlob(sha256: string): number {
    const path = this.#deps.blobs.pathOf(sha256);
    const size = statOrNull(path)?.size ?? 0;
    rmSync(path, { force: true });
    this.#deps.onRemoved?.(sha256);
    return size;
  }
}
