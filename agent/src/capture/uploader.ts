import type { CaptureCounters } from '@edgefleet/shared/capture';
import type { Logger } from 'pino';
import type { SampleQueue } from './queue';
import type { StoredSample } from './store';

/** Where and how fast samples go. */
export interface UploaderOptions {
  /** The fleet server's base URL (from enrollment). */
  apiUrl: string;
  deviceToken: string;
  /** Bandwidth bound: the average upload rate never exceeds it (a pause after each sample). */
  bytesPerS: number;
  /** Whether telemetry leaves room for a sample now (its outbox is drained): samples never go before it. */
  canSend: () => boolean;
  fetchImpl?: typeof fetch;
  /** Pause when the server said "later" without a `Retry-After` (ms; default 60 s). */
  retryLaterMs?: number;
  /** Longest pause after failed tries (ms; default 60 s). */
  maxBackoffMs?: number;
}

/** How long to look again when telemetry is busy, or the queue empty (then a new sample wakes it at once). */
const BUSY_POLL_MS = 250;
const IDLE_POLL_MS = 30_000;

/** What the server's answer means for the sample in hand. */
type Verdict = 'stored' | 'duplicate' | 'rejected' | { laterMs: number };

/**
 * Uploads the sample queue to `POST /api/v1/samples` (multipart `meta` + `content`), oldest first, one sample in
 * flight, only while telemetry's outbox is drained, at most `bytesPerS` on average. A sample leaves the queue once
 * the server stored it, or said it already had it (a resend after a lost answer), or refused its content for good
 * (413, 415, 422, or capture disabled for this device: counted as `rejected`); anything else (offline, 429 budget,
 * 507 full, 5xx) pauses the uploader and the sample is tried again, across restarts.
 */
export class SampleUploader {
  private stopped = true;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  /** No upload before this (`performance.now()`): the bandwidth bound and the server's "later" hold even when woken. */
  private notBefore = 0;
  private current: AbortController | null = null;

  constructor(
    private readonly queue: SampleQueue,
    private readonly counters: CaptureCounters,
    private readonly opts: UploaderOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Something changed (a sample queued, a telemetry window acknowledged): look now. */
  notify(): void {
    this.wake?.();
  }

  /** Stops after the upload in flight is abandoned (it stays queued: the server dedupes a resend). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.abort();
    this.notify();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let waitMs: number;
      try {
        waitMs = await this.step();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'sample upload step failed');
        waitMs = this.backoffMs();
      }
      if (this.stopped) break;
      await this.sleep(waitMs);
    }
  }

  /** One look: uploads one sample if telemetry leaves room; returns how long to wait before the next look. */
  private async step(): Promise<number> {
    const holdMs = this.notBefore - performance.now();
    if (holdMs > 0) return holdMs;
    if (!this.opts.canSend()) return BUSY_POLL_MS;
    const sample = this.queue.next();
    if (!sample) return IDLE_POLL_MS;
    const t0 = performance.now();
    const verdict = await this.upload(sample);
    if (this.stopped) return 0;
    if (typeof verdict === 'object') {
      this.queue.countTry(sample);
      this.failures++;
      this.notBefore = performance.now() + verdict.laterMs;
      return verdict.laterMs;
    }
    this.failures = 0;
    if (verdict === 'stored') this.counters.uploaded++;
    else if (verdict === 'duplicate') this.counters.duplicates++;
    else this.counters.dropped.rejected++;
    this.queue.remove(sample);
    // The bandwidth bound: this sample's bytes at `bytesPerS`, counted from when it started.
    this.notBefore = t0 + (sample.sizeBytes * 1000) / this.opts.bytesPerS;
    return Math.max(0, this.notBefore - performance.now());
  }

  private async upload(sample: StoredSample): Promise<Verdict> {
    const meta = JSON.parse(sample.meta) as { contentType: string };
    const form = new FormData();
    form.append('meta', new Blob([sample.meta], { type: 'application/json' }), 'meta.json');
    form.append('content', new Blob([new Uint8Array(sample.content)], { type: meta.contentType }), 'content');
    const controller = new AbortController();
    this.current = controller;
    let res: Response;
    try {
      res = await (this.opts.fetchImpl ?? fetch)(new URL('/api/v1/samples', this.opts.apiUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.deviceToken}` },
        body: form,
        signal: controller.signal,
      });
    } catch (err) {
      if (!this.stopped)
        this.logger.debug({ err: (err as Error).message }, 'sample upload failed; will retry');
      return { laterMs: this.backoffMs() };
    } finally {
      this.current = null;
    }
    const body = await res.text().catch(() => '');
    const verdict = verdictOf(res.status, body, retryAfterMs(res.headers.get('retry-after')));
    if (typeof verdict === 'object') {
      const laterMs =
        verdict.laterMs > 0 ? verdict.laterMs : this.backoffMs(this.opts.retryLaterMs ?? 60_000);
      this.logger.debug({ status: res.status, sha256: sample.sha256, laterMs }, 'sample upload deferred');
      return { laterMs };
    }
    if (verdict === 'rejected')
      this.logger.warn(
        { status: res.status, sha256: sample.sha256, body: body.slice(0, 200) },
        'sample refused; dropped',
      );
    return verdict;
  }

  /** Exponential backoff with jitter after `failures` failed tries (from 1 s, or from `baseMs`). */
  private backoffMs(baseMs = 1_000): number {
    const maxMs = this.opts.maxBackoffMs ?? 60_000;
    const ms = Math.min(maxMs, baseMs * 2 ** Math.min(this.failures, 16));
    return ms / 2 + Math.random() * (ms / 2);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}

/** What an answer of `POST /api/v1/samples` means; `laterMs` 0: back off by the uploader's own rule. */
export function verdictOf(status: number, body: string, retryAfter: number | undefined): Verdict {
  if (status === 201) return 'stored';
  if (status === 200) return 'duplicate';
  if (status === 413 || status === 415 || status === 422) return 'rejected';
  if (status === 403 && /capture_disabled/.test(body)) return 'rejected';
  return { laterMs: retryAfter ?? 0 };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 3600) * 1000 : undefined;
}
