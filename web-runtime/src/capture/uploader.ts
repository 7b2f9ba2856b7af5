import type { SampleEntry } from '../storage/db';
import type { SampleStore } from './store';
import { type UploadVerdict, uploadSample } from './upload';

/** What the uploader needs: the queue, where to send, and whether telemetry has something to send first. */
export interface UploaderOptions {
  store: SampleStore;
  server: string;
  key: string;
  /** True while the telemetry outbox holds reports: samples wait (telemetry is never delayed behind them). */
  telemetryPending: () => Promise<boolean>;
  /** First retry delay after a failed upload (doubles up to `maxRetryMs`). */
  retryMs: number;
  maxRetryMs: number;
  /** Pause after each upload, per kB sent (bounds the bandwidth samples take: 1 ms/kB ≈ 1 MB/s). */
  paceMsPerKb: number;
  /** Called after each upload attempt with the sample and the verdict (counting, deleting is done here). */
  onVerdict: (entry: SampleEntry, verdict: UploadVerdict) => Promise<void>;
}

/** How long samples wait while telemetry is pending before looking again. */
const TELEMETRY_WAIT_MS = 500;

/** Waits for the browser to be idle (or `timeoutMs`), where it can say so. */
const whenIdle = (timeoutMs: number): Promise<void> =>
  new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function')
      requestIdleCallback(() => resolve(), { timeout: timeoutMs });
    else setTimeout(resolve, 0);
  });

/**
 * Uploads queued samples one at a time, oldest first, when telemetry has nothing pending and the page is idle;
 * deletes a sample only after the server stored it or refused it for good; retries the rest with backoff.
 */
export class Uploader {
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private closed = false;
  /** A kick came while a pass ran (it may have already looked at the queue): run another. */
  private again = false;
  /** The sha256 of the sample being uploaded now (never evicted to make room). */
  current: string | undefined;

  constructor(private readonly options: UploaderOptions) {}

  /** Starts a pass now unless one runs (or is scheduled sooner than a retry would be). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    this.running = this.pass().finally(() => {
      this.running = undefined;
      // Unless a retry is already scheduled (then the timer runs the next pass).
      if (this.again && this.timer === undefined) this.kick();
    });
  }

  /** Resolves when the current pass (if any) has ended. */
  async settled(): Promise<void> {
    await this.running;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private later(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
  }

  private async pass(): Promise<void> {
    const o = this.options;
    while (!this.closed) {
      if (await o.telemetryPending()) return this.later(TELEMETRY_WAIT_MS);
      const entry = await o.store.oldest();
      if (!entry) return;
      await whenIdle(2_000);
      if (this.closed || (await o.telemetryPending())) return this.later(TELEMETRY_WAIT_MS);
      this.current = entry.sha256;
      const verdict = await uploadSample(o.server, o.key, entry);
      try {
        await o.onVerdict(entry, verdict);
      } finally {
        this.current = undefined;
      }
      if (verdict.kind === 'retry') {
        const backoff = Math.min(o.maxRetryMs, o.retryMs * 2 ** this.failures);
        this.failures += 1;
        return this.later(Math.max(verdict.afterMs ?? 0, backoff));
      }
      this.failures = 0;
      const paceMs = (entry.content.byteLength / 1024) * o.paceMsPerKb;
      if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
    }
  }
}
