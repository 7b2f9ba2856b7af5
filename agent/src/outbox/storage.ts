import { existsSync, renameSync } from 'node:fs';
import type { RuntimeInfo, SoftwareMetrics } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { WindowDraft } from '../telemetry/windows';
import { nextEpoch, readEpochFile, writeEpochFile } from './epoch';
import { Outbox, type OutboxStats, type PendingReport } from './outbox';

/** How telemetry storage is doing: `full` (no space) and `error` (any other failure) are retried every window. */
export type StorageStatus = 'ok' | 'full' | 'error';

/** What `/v1/status` and the reported state say about telemetry storage. */
export interface StorageHealth {
  status: StorageStatus;
  /** The last storage error while not `ok`. */
  message: string | null;
  /** Since when it is not `ok` (ms). */
  since: number | null;
  /** Windows (reports) and their inferences that could not be stored since the start. */
  unstoredReports: number;
  unstoredInferences: number;
  /** Corrupt outbox files renamed aside since the start. */
  quarantined: string[];
}

/** The outbox operations the sender needs. */
export type OutboxPort = Pick<Outbox, 'clientId' | 'pending' | 'markSent' | 'ack' | 'ackUpTo'>;

const codeOf = (err: unknown): string => String((err as { code?: unknown }).code ?? '');
const isFull = (err: unknown) =>
  /^(SQLITE_FULL|ENOSPC|EDQUOT)$/.test(codeOf(err)) || /SQLITE_IOERR/.test(codeOf(err));
const isCorrupt = (err: unknown) => /^(SQLITE_CORRUPT|SQLITE_NOTADB)/.test(codeOf(err));

/**
 * The telemetry outbox as the agent uses it: inference never depends on it. No call throws. A full disk (at
 * start or later) leaves the outbox closed or failing: windows that cannot be stored are counted (status
 * `full`) and the next stored report carries them as dropped; every window retries, so it resumes by itself
 * when space returns. A corrupt file (`SQLITE_CORRUPT`, "file is not a database") is renamed aside
 * (`telemetry.db.corrupt-<ms>`, with its -wal and -shm) and a fresh outbox starts. The epoch is fixed at
 * start from `epoch.json` (see {@link nextEpoch}); no report is stored under it before it is durable there.
 */
export class TelemetryStorage implements OutboxPort {
  readonly epoch: number;
  private outbox: Outbox | null = null;
  private epochDurable = false;
  private carry = { reports: 0, inferences: 0 };
  private health: StorageHealth = {
    status: 'ok',
    message: null,
    since: null,
    unstoredReports: 0,
    unstoredInferences: 0,
    quarantined: [],
  };

  constructor(
    private readonly opts: {
      path: string;
      dataDir: string;
      clientId: string;
      maxReports: number;
      enrolled: boolean;
      logger: Logger;
      now?: () => number;
    },
  ) {
    const fromFile = readEpochFile(opts.dataDir);
    let fromOutbox: number | undefined;
    const chosen = (stored: number | undefined) => {
      fromOutbox = stored;
      return nextEpoch({ fromFile, fromOutbox: stored, enrolled: opts.enrolled, nowMs: this.now() });
    };
    this.open(chosen);
    this.epoch = this.outbox?.epoch ?? chosen(fromOutbox);
    this.persistEpoch();
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  // Opens the outbox file; a corrupt one is quarantined and replaced once.
  private open(chooseEpoch: (stored: number | undefined) => number = () => this.epoch): void {
    for (let attempt = 0; attempt < 2 && !this.outbox; attempt++) {
      try {
        const outbox = new Outbox(this.opts.path, this.opts.clientId, this.opts.maxReports, chooseEpoch);
        try {
          // A corrupt page may only show on a read: read the rows once before trusting the file.
          outbox.pending(1);
          outbox.stats();
        } catch (err) {
          outbox.close();
          throw err;
        }
        this.outbox = outbox;
      } catch (err) {
        if (isCorrupt(err) && attempt === 0) this.quarantine(err);
        else {
          this.failed(err);
          return;
        }
      }
    }
  }

  private quarantine(err: unknown): void {
    this.closeOutbox();
    const aside = `${this.opts.path}.corrupt-${this.now()}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(this.opts.path + suffix)) renameSync(this.opts.path + suffix, aside + suffix);
    }
    this.health.quarantined.push(aside);
    this.opts.logger.error(
      { err: (err as Error).message, movedTo: aside },
      'telemetry outbox is corrupt: moved aside, a fresh outbox starts (reports pending in it are lost)',
    );
  }

  private persistEpoch(): boolean {
    if (this.epochDurable) return true;
    try {
      writeEpochFile(this.opts.dataDir, this.epoch);
      this.epochDurable = true;
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private failed(err: unknown): void {
    const status: StorageStatus = isFull(err) ? 'full' : 'error';
    if (this.health.status !== status)
      this.opts.logger.error(
        { err: (err as Error).message, code: codeOf(err) },
        status === 'full'
          ? 'telemetry storage: disk full; serving goes on'
          : 'telemetry storage failed; serving goes on',
      );
    this.health.message = `${codeOf(err) || 'error'}: ${(err as Error).message}`.slice(0, 512);
    if (this.health.status === 'ok') this.health.since = this.now();
    this.health.status = status;
  }

  private recovered(): void {
    if (this.health.status === 'ok') return;
    this.opts.logger.info({ since: this.health.since }, 'telemetry storage works again');
    this.health = { ...this.health, status: 'ok', message: null, since: null };
  }

  /** Stores a closed window; false (counted, never thrown) when it could not be stored. */
  append(draft: WindowDraft, runtime: RuntimeInfo, software?: SoftwareMetrics): boolean {
    if (!this.outbox) this.open();
    if (this.outbox && this.persistEpoch()) {
      try {
        this.outbox.append(draft, runtime, software, this.carry);
        this.carry = { reports: 0, inferences: 0 };
        this.recovered();
        return true;
      } catch (err) {
        if (isCorrupt(err)) {
          this.quarantine(err);
          this.open();
        }
        this.failed(err);
      }
    }
    this.carry.reports++;
    this.carry.inferences += draft.inferences;
    this.health.unstoredReports++;
    this.health.unstoredInferences += draft.inferences;
    return false;
  }

  private guarded<T>(fallback: T, run: (outbox: Outbox) => T): T {
    if (!this.outbox) return fallback;
    try {
      return run(this.outbox);
    } catch (err) {
      this.failed(err);
      return fallback;
    }
  }

  pending(limit: number): PendingReport[] {
    return this.guarded([], (o) => o.pending(limit));
  }

  markSent(epoch: number, seq: number): void {
    this.guarded(undefined, (o) => o.markSent(epoch, seq));
  }

  ack(epoch: number, seqs: readonly number[]): number {
    return this.guarded(0, (o) => o.ack(epoch, seqs));
  }

  ackUpTo(epoch: number, seq: number): number {
    return this.guarded(0, (o) => o.ackUpTo(epoch, seq));
  }

  /** Whether a window was already appended (see {@link Outbox.windowClosed}); false when the outbox is not open. */
  windowClosed(epoch: number, startMs: number): boolean {
    return this.guarded(false, (o) => o.windowClosed(epoch, startMs));
  }

  setMaxReports(maxReports: number): void {
    this.opts.maxReports = maxReports;
    this.outbox?.setMaxReports(maxReports);
  }

  stats(): OutboxStats {
    const empty = {
      pending: 0,
      appended: 0,
      acked: 0,
      overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
    };
    return this.guarded(empty, (o) => o.stats());
  }

  storage(): StorageHealth {
    return { ...this.health, quarantined: [...this.health.quarantined] };
  }

  private closeOutbox(): void {
    try {
      this.outbox?.close();
    } catch {
      // closing a broken handle: nothing more to lose
    }
    this.outbox = null;
  }

  close(): void {
    this.closeOutbox();
  }
}
