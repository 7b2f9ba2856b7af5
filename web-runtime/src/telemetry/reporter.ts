import { MAX_REPORTS_PER_BATCH, type RuntimeInfo, type SoftwareMetrics } from '@edgefleet/shared';
import type { OutboxEntry, Store } from '../storage/db';
import { entryOf, Outbox, type OverflowCounts } from './outbox';
import { beaconReports, postReports, type SendOutcome } from './sender';
import type { TelemetryWindow } from './window';

/** Where reports stand. */
export interface TelemetryStatus {
  /** Reports in the outbox, not yet acknowledged. */
  buffered: number;
  /** Reports acknowledged since this runtime started. */
  delivered: number;
  /** Whether the last send reached the server. */
  online: boolean;
  overflow: OverflowCounts;
}

/** Options of {@link Reporter}. */
export interface ReporterOptions {
  store: Store;
  server: string;
  key: string;
  clientId: string;
  epoch: number;
  windowMs: number;
  maxReports: number;
  /** Retry delay after a failed send. */
  retryMs?: number;
  onStatus?: (status: TelemetryStatus) => void;
}

/** What a closing window reports beside its statistics: the runtime, and the software metrics (capture counters). */
export interface WindowState {
  window: TelemetryWindow;
  runtime: RuntimeInfo;
  software?: SoftwareMetrics | undefined;
}

/**
 * Closes telemetry windows into `(clientId, epoch, seq)` reports, writes them to the outbox first, and sends
 * them over HTTP POST; deletes only what the server acknowledged. On page hide the outbox goes out with
 * `sendBeacon` (kept until a later POST is acknowledged; the server drops duplicates).
 */
export class Reporter {
  readonly outbox: Outbox;
  private delivered = 0;
  private online = true;
  private sending: Promise<void> | undefined;
  private windowTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Last known outbox content, for the synchronous beacon on page hide. */
  private mirror: OutboxEntry[] = [];
  private closed = false;

  constructor(
    private readonly options: ReporterOptions,
    private readonly current: () => WindowState | undefined,
  ) {
    this.outbox = new Outbox(options.store, options.maxReports, options);
  }

  /** Starts the window timer, the page-hide beacon and a first send of what earlier pages left. */
  start(): void {
    this.windowTimer = setInterval(() => void this.closeWindow(), this.options.windowMs);
    addEventListener('pagehide', this.onPageHide);
    addEventListener('online', this.onOnline);
    void this.send();
  }

  /** Changes the window length (a new plan). */
  setWindowMs(windowMs: number): void {
    if (windowMs === this.options.windowMs || this.closed) return;
    this.options.windowMs = windowMs;
    clearInterval(this.windowTimer);
    this.windowTimer = setInterval(() => void this.closeWindow(), windowMs);
  }

  /** Closes `window` (or the current one) into the outbox (merging or dropping old windows when full). */
  async closeWindow(state = this.current()): Promise<void> {
    // An empty window makes no report, and must not make a full outbox compact.
    if (!state || state.window.isEmpty) return;
    const { window, runtime, software } = state;
    const { clientId, epoch } = this.options;
    const report = await this.outbox.append((seq, overflow) =>
      window.close({ clientId, epoch, seq }, runtime, overflow, software),
    );
    if (report) await this.send();
  }

  /** Sends the outbox until it is empty or a send fails; concurrent calls share one loop. */
  send(): Promise<void> {
    this.sending ??= this.sendLoop().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  async status(): Promise<TelemetryStatus> {
    return {
      buffered: await this.outbox.count(),
      delivered: this.delivered,
      online: this.online,
      overflow: await this.outbox.overflow(),
    };
  }

  /** Stops timers and listeners (the outbox stays for the next start). */
  close(): void {
    this.closed = true;
    clearInterval(this.windowTimer);
    clearTimeout(this.retryTimer);
    removeEventListener('pagehide', this.onPageHide);
    removeEventListener('online', this.onOnline);
  }

  private async sendLoop(): Promise<void> {
    clearTimeout(this.retryTimer);
    for (;;) {
      const entries = await this.outbox.peek(64);
      this.mirror = entries;
      if (entries.length === 0 || this.closed) break;
      // Offline, nothing leaves: the windows stay unsent, so a full outbox can still merge them.
      if (typeof navigator !== 'undefined' && navigator.onLine === false) {
        this.online = false;
        break;
      }
      await this.outbox.markSent(entries.filter((e) => !e.sent).map((e) => e.key));
      const outcome = await this.post(entries);
      this.online = outcome.status !== 0;
      if (outcome.refused.length > 0) await this.outbox.drop(outcome.refused);
      if (outcome.delivered.length > 0) {
        await this.outbox.remove(outcome.delivered);
        this.delivered += outcome.delivered.length;
      }
      if (outcome.delivered.length === 0 && outcome.refused.length === 0) {
        if (!this.closed) this.retryTimer = setTimeout(() => void this.send(), this.options.retryMs ?? 5_000);
        break;
      }
    }
    this.options.onStatus?.(await this.status());
  }

  /**
   * POSTs a batch; when the server refuses the batch as a whole (400, 413: one bad or oversized report spoils
   * it), sends the reports one by one, so that only the bad one is refused and the others go through.
   */
  private async post(entries: OutboxEntry[]): Promise<SendOutcome> {
    const batch = entries.slice(0, MAX_REPORTS_PER_BATCH);
    const outcome = await postReports(this.options.server, this.options.key, batch);
    if (outcome.status !== 400 && outcome.status !== 413) return outcome;
    if (batch.length === 1) return { ...outcome, refused: [batch[0]!.key] };
    const merged: SendOutcome = { delivered: [], refused: [], status: 200 };
    for (const entry of batch) {
      const one = await postReports(this.options.server, this.options.key, [entry]);
      if (one.status === 400 || one.status === 413) merged.refused.push(entry.key);
      else {
        merged.delivered.push(...one.delivered);
        merged.refused.push(...one.refused);
        if (one.status === 0 || one.status >= 500) merged.status = one.status;
      }
    }
    return merged;
  }

  private readonly onOnline = (): void => void this.send();

  private readonly onPageHide = (): void => {
    const state = this.current();
    const entries = [...this.mirror];
    if (state) {
      const { clientId, epoch } = this.options;
      const report = state.window.close(
        { clientId, epoch, seq: this.outbox.peekSeq() },
        state.runtime,
        this.outbox.lastOverflow,
        state.software,
      );
      if (report) {
        const entry: OutboxEntry = { ...entryOf(report), sent: true };
        entries.push(entry);
        // Best effort: the page may be gone before this write commits; the beacon carries it either way.
        void this.outbox.append(() => report).then(() => this.outbox.markSent([entry.key]));
      }
    }
    if (beaconReports(this.options.server, this.options.key, entries))
      void this.outbox.markSent(entries.map((e) => e.key));
  };
}
