import type { RuntimeInfo } from '@edgefleet/shared';
import type { OutboxEntry, Store } from '../storage/db';
import { Outbox, type OverflowCounts } from './outbox';
import { beaconReports, postReports } from './sender';
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

/**
 * Closes telemetry windows into `(clientId, epoch, seq)` reports, writes them to the outbox first, and sends
 * them over HTTP POST; deletes only what the server acknowledged. On page hide the outbox goes out with
 * `sendBeacon` (kept until a later POST is acknowledged; the server drops duplicates).
 */
export class Reporter {
  readonly outbox: Outbox;
  private seq = 0;
  private delivered = 0;
  private online = true;
  private sending: Promise<void> | undefined;
  private windowTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Last known outbox content, for the synchronous beacon on page hide. */
  private mirror: OutboxEntry[] = [];
  private closed = false;
  private lastOverflow: OverflowCounts = { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 };

  constructor(
    private readonly options: ReporterOptions,
    private readonly current: () => { window: TelemetryWindow; runtime: RuntimeInfo } | undefined,
  ) {
    this.outbox = new Outbox(options.store, options.maxReports);
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

  /** Closes `window` (or the current one) into the outbox. */
  async closeWindow(window = this.current()?.window, runtime = this.current()?.runtime): Promise<void> {
    if (!window || !runtime) return;
    const overflow = await this.outbox.overflow();
    this.lastOverflow = overflow;
    const ids = { clientId: this.options.clientId, epoch: this.options.epoch, seq: this.seq + 1 };
    const report = window.close(ids, runtime, overflow);
    if (!report) return;
    this.seq++;
    await this.outbox.add({
      key: [ids.epoch, ids.seq],
      body: JSON.stringify(report),
      inferences: report.profile.inferences ?? 0,
      createdAt: Date.now(),
    });
    await this.send();
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
      const outcome = await postReports(this.options.server, this.options.key, entries);
      this.online = outcome.status !== 0;
      if (outcome.delivered.length === 0) {
        if (!this.closed) this.retryTimer = setTimeout(() => void this.send(), this.options.retryMs ?? 5_000);
        break;
      }
      await this.outbox.remove(outcome.delivered);
      this.delivered += outcome.delivered.length;
    }
    this.options.onStatus?.(await this.status());
  }

  private readonly onOnline = (): void => void this.send();

  private readonly onPageHide = (): void => {
    const state = this.current();
    const entries = [...this.mirror];
    if (state) {
      const report = state.window.close(
        { clientId: this.options.clientId, epoch: this.options.epoch, seq: this.seq + 1 },
        state.runtime,
        this.lastOverflow,
      );
      if (report) {
        this.seq++;
        const entry: OutboxEntry = {
          key: [report.epoch, report.seq],
          body: JSON.stringify(report),
          inferences: report.profile.inferences ?? 0,
          createdAt: Date.now(),
        };
        entries.push(entry);
        // Best effort: the page may be gone before this write commits; the beacon carries it either way.
        void this.outbox.add(entry);
      }
    }
    beaconReports(this.options.server, this.options.key, entries);
  };
}
