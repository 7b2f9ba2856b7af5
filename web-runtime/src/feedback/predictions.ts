import { judgeLabel, type KeptPrediction, type LabelRefusal, labelRefusalMessage } from '@edgefleet/shared';
import type { PredictionEntry, Store } from '../storage/db';

/** What {@link PredictionStore.claim} decided. */
export type ClaimOutcome =
  | { ok: true; record: KeptPrediction; trueIndex: number }
  | { ok: false; refusal: Exclude<LabelRefusal, 'window_full'>; message: string };

/** The part of the prediction store the label intake uses (an in-memory fake in unit tests). */
export interface PredictionClaims {
  /** Resolves once every prediction remembered so far is written (or failed). */
  settled(): Promise<void>;
  claim(predictionId: string, label: string): Promise<ClaimOutcome>;
  unclaim(predictionId: string): Promise<void>;
}

/** Options of {@link PredictionStore}. */
export interface PredictionStoreOptions {
  ttlMs: number;
  maxPredictions: number;
  now?: () => number;
  /** A write failed (quota, a closed database): its predictions' labels will be refused as unknown. */
  onWriteFailed?: (error: unknown) => void;
}

/**
 * How long predictions gather before one IndexedDB transaction writes them: a transaction per inference cost the
 * page more main-thread time than a small model's run. A label waits for the write ({@link PredictionStore.settled}).
 */
export const WRITE_DELAY_MS = 100;

/**
 * The browser's predictions awaiting labels, in IndexedDB (`predictions`), so a label survives a page reload.
 * Bounded twice, as the agent's store: at most `maxPredictions` (oldest evicted first) and none older than twice
 * the TTL, so a label within the TTL is taken, one after it is told `expired` for another TTL, and beyond that
 * the id is `unknown`. Predictions are written off the answer's path, batched into one transaction per {@link WRITE_DELAY_MS};
 * every write is awaited ({@link settled}) before a label is looked up. A label is claimed once: the read and
 * the write are one readwrite transaction, which IndexedDB runs one at a time per store (also across tabs).
 */
export class PredictionStore implements PredictionClaims {
  private queue: PredictionEntry[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Predictions whose write failed. */
  writeFailures = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: PredictionStoreOptions,
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Keeps a prediction (written with the others of the next {@link WRITE_DELAY_MS}); never throws. */
  remember(p: KeptPrediction): void {
    this.queue.push({ ...p, classes: [...p.classes] });
    this.timer ??= setTimeout(() => void this.flush(), WRITE_DELAY_MS);
  }

  /** Resolves once every prediction remembered so far is written (or failed); writes the queued ones now. */
  settled(): Promise<void> {
    return this.queue.length > 0 ? this.flush() : this.writing;
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      const tx = this.store.transaction('predictions', 'readwrite');
      const predictions = tx.objectStore('predictions');
      for (const p of batch) await predictions.put(p);
      const byCreated = predictions.index('byCreated');
      // Past twice the TTL a prediction can only be refused as unknown.
      let stale = await byCreated.openCursor(IDBKeyRange.upperBound(this.now() - 2 * this.opts.ttlMs, true));
      while (stale) {
        await stale.delete();
        stale = await stale.continue();
      }
      let excess = (await predictions.count()) - this.opts.maxPredictions;
      let oldest = excess > 0 ? await byCreated.openCursor() : null;
      while (oldest && excess-- > 0) {
        await oldest.delete();
        oldest = await oldest.continue();
      }
      await tx.done;
    } catch (error) {
      this.writeFailures += batch.length;
      this.opts.onWriteFailed?.(error);
    }
  }

  async claim(predictionId: string, label: string): Promise<ClaimOutcome> {
    const tx = this.store.transaction('predictions', 'readwrite');
    const predictions = tx.objectStore('predictions');
    const row = await predictions.get(predictionId);
    const outcome = this.judge(row, predictionId, label);
    if (outcome.ok) await predictions.put({ ...row!, label: outcome.trueIndex, labelledMs: this.now() });
    await tx.done;
    return outcome;
  }

  private judge(row: PredictionEntry | undefined, predictionId: string, label: string): ClaimOutcome {
    // A row another writer broke (no class list) is as good as none.
    if (!row || !Array.isArray(row.classes))
      return {
        ok: false,
        refusal: 'unknown',
        message: labelRefusalMessage.unknown(
          predictionId,
          `not made in this browser, or evicted (at most ${this.opts.maxPredictions} kept, none older than twice the feedback TTL)`,
        ),
      };
    const { label: _label, labelledMs: _labelledMs, ...record } = row;
    const judged = judgeLabel(record, label, { nowMs: this.now(), ttlMs: this.opts.ttlMs });
    if (!judged.ok) return judged;
    if (row.label !== undefined)
      return { ok: false, refusal: 'duplicate', message: labelRefusalMessage.duplicate(predictionId) };
    return { ok: true, record, trueIndex: judged.trueIndex };
  }

  async unclaim(predictionId: string): Promise<void> {
    const tx = this.store.transaction('predictions', 'readwrite');
    const predictions = tx.objectStore('predictions');
    const row = await predictions.get(predictionId);
    if (row) {
      const { label: _label, labelledMs: _labelledMs, ...unlabelled } = row;
      await predictions.put(unlabelled);
    }
    await tx.done;
  }
}
