import {
  type Ack,
  type FeedbackAggregate,
  PROTOCOL_VERSION,
  type ProfileDelta,
  profileDeltaOf,
  profileJsonSchema,
  specHash,
  validateMessage,
} from '@edgefleet/shared';
import pino, { type Logger } from 'pino';
import type { FleetDb } from '../db';
import type { SpecResolver } from '../models';
import {
  type AggregateGroup,
  type AggregateKey,
  AggregateMerger,
  aggregateKeyOf,
  type FleetHourKey,
} from './aggregates';
import type { TelemetryGuards } from './guards';
import type { ReportEnvelope } from './report-envelope';
import type { ReportStatus, TelemetryScope } from './schema';
import { TelemetryStore } from './store';

/** Who sent a report, as established by the transport (MQTT topic + broker auth, or the HTTP app key). */
export interface ReportSource {
  scope: TelemetryScope;
  /** Device id (`dev`) or app id (`app`). */
  sourceId: string;
}

/** Why a report was refused without being stored (and so without an ack: the client keeps it). */
export type RejectReason =
  | 'too_large'
  | 'invalid_json'
  | 'invalid'
  | 'unsupported_version'
  | 'mismatch'
  | 'client_mismatch'
  | 'invalid_profile'
  | 'implausible'
  | 'rate_limited'
  | 'storage_failed';

/** What became of one submitted report. */
export type IngestOutcome =
  | { status: 'stored' | 'duplicate'; reportStatus: ReportStatus | null; ack: Ack }
  | { status: 'rejected'; reason: RejectReason; message: string };

/** Reports of one committed batch that were new, per source and model version (for live updates and alerts). */
export interface StoredReports {
  source: ReportSource;
  modelName: string;
  modelVersion: string;
  reports: number;
}

/** Counters of the ingestion path (exported as Prometheus metrics by the server). */
export interface IngestStats {
  received: number;
  stored: number;
  duplicates: number;
  merged: number;
  specMismatches: number;
  unknownVersions: number;
  /** Stored, not merged: the window began before the hourly tier's retention. */
  expired: number;
  /** Acknowledged as duplicates because their raw rows may have been deleted by retention (seq at or below the mark). */
  pastMark: number;
  rejected: Partial<Record<RejectReason, number>>;
  batches: number;
  lastBatchReports: number;
  lastBatchMs: number;
}

/** Options of {@link TelemetryIngestor}. */
export interface TelemetryIngestorOptions {
  db: FleetDb;
  specs: SpecResolver;
  /**
   * Flush when this many reports wait. Default 500. 2000 took ~9 % less CPU per report in the ingest path alone
   * (bench/ingest-path.ts: each hourly row a batch merges into is rewritten once per batch), but end to end
   * (bench/ingest.ts, a quiet 2-core box, three alternating rounds) 500 gave 7,404–7,863 reports/s and 2000
   * 7,285–7,637: bursts fill ~1,000 per 20 ms flush, so the cap is rarely reached, and where it is, a 2000-report
   * transaction holds the event loop ~0.2 s (MQTT keep-alives, HTTP). Quiet traffic is flushed after
   * `maxBatchDelayMs` anyway.
   */
  maxBatchReports?: number;
  /** Flush at the latest this long after the first waiting report. Default 20 ms. */
  maxBatchDelayMs?: number;
  /** {@link TelemetryIngestor.whenWritable} waits while more than this many reports wait. Default 5000. */
  maxQueuedReports?: number;
  logger?: Logger;
  now?: () => number;
  /** Plausibility and budgets for every report, whatever its path ({@link TelemetryGuards}); none in unit tests. */
  guards?: TelemetryGuards;
  /** Hears a failed batch write (the server's storage health counts disk-full and I/O errors). */
  onStorageError?: (err: unknown) => void;
  /**
   * How long the hourly tier keeps an hour (ms; 0: forever). A report whose window began in a UTC day already past
   * it is stored but not merged (`expired`): that day's hourly rows may be gone and its daily row is final.
   */
  hourlyRetentionMs?: number;
}

/** How far past its receive time a window may end (clock slack of clients without a learned offset). */
export const MAX_FUTURE_WINDOW_MS = 300_000;

/**
 * A report's window in the server's clock: moved by the device's learned clock offset, then bounded — a window
 * never ends more than {@link MAX_FUTURE_WINDOW_MS} after it was received (it is moved back, keeping its length),
 * so a clock ahead cannot count reports from the future, and never starts before 0.
 */
export function serverWindow(
  window: { startMs: number; endMs: number },
  offsetMs: number | undefined,
  receivedAt: number,
): { startMs: number; endMs: number } {
  let startMs = window.startMs - (offsetMs ?? 0);
  let endMs = window.endMs - (offsetMs ?? 0);
  const ahead = endMs - (receivedAt + MAX_FUTURE_WINDOW_MS);
  if (ahead > 0) {
    startMs -= ahead + MAX_FUTURE_WINDOW_MS;
    endMs -= ahead + MAX_FUTURE_WINDOW_MS;
  }
  if (startMs < 0) {
    endMs -= startMs;
    startMs = 0;
  }
  return { startMs, endMs };
}

interface Pending {
  source: ReportSource;
  /** The envelope without its parsed profile (which would otherwise stay alive until the batch is written). */
  report: Omit<ReportEnvelope, 'profile' | 'profileText'>;
  /** The profile's JSON text, as stored. */
  profileText: string;
  inferences: number;
  status: ReportStatus;
  /** The report's profile, checked against the version's spec (merged status only). */
  delta: ProfileDelta | null;
  resolve(outcome: IngestOutcome): void;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Batches validated reports and writes each batch in one transaction: report rows with
 * `on conflict do nothing` (dedupe by client, epoch, seq), then the merge of the new profiles into the
 * hourly aggregates. Promises resolve only after the commit, with an ack naming the report's seq (and
 * the highest stored seq of its (client, epoch), for older clients).
 */
export class TelemetryIngestor {
  readonly stats: IngestStats = {
    received: 0,
    stored: 0,
    duplicates: 0,
    merged: 0,
    specMismatches: 0,
    unknownVersions: 0,
    expired: 0,
    pastMark: 0,
    rejected: {},
    batches: 0,
    lastBatchReports: 0,
    lastBatchMs: 0,
  };
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private waiters: (() => void)[] = [];
  private readonly maxBatchReports: number;
  private readonly maxBatchDelayMs: number;
  private readonly maxQueuedReports: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly store: TelemetryStore;
  private readonly merger: AggregateMerger<AggregateKey>;
  private readonly fleetMerger: AggregateMerger<FleetHourKey>;
  private readonly storedListeners: ((stored: StoredReports[]) => void)[] = [];
  /** A device's clock offset (device − server, ms) learned at hello; set by the server once device state runs. */
  clockOffsetOf: (deviceId: string) => number | undefined = () => undefined;

  constructor(private readonly options: TelemetryIngestorOptions) {
    this.maxBatchReports = options.maxBatchReports ?? 500;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 20;
    this.maxQueuedReports = options.maxQueuedReports ?? 5_000;
    this.log = options.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
    this.store = new TelemetryStore(options.db);
    this.merger = new AggregateMerger(this.store.sourceHours, this.log);
    this.fleetMerger = new AggregateMerger(this.store.fleetHours, this.log, 1_000);
  }

  /** Calls `listener` after each commit with the reports it stored (duplicates excluded); it must not throw. */
  onStored(listener: (stored: StoredReports[]) => void): void {
    this.storedListeners.push(listener);
  }

  /** Counts a report refused before it reached {@link submit} (unparseable, wrong client id, …). */
  countRejected(reason: RejectReason): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
  }

  /**
   * Queues a report whose envelope was validated; its profile is validated here, once: checked against the
   * version's spec into a {@link ProfileDelta} (merged after commit without building a Profile), or (unknown
   * version, other spec: stored, not merged) with the profile schema.
   * Resolves after its batch committed, or with why it was refused.
   */
  submit(source: ReportSource, report: ReportEnvelope): Promise<IngestOutcome> {
    this.stats.received++;
    const found = this.options.specs.baselineOf(report.model.name, report.model.version);
    let status: ReportStatus = 'merged';
    let delta: ProfileDelta | null = null;
    if (!found) status = 'unknown_version';
    else if (report.specHash !== specHash(found.spec)) status = 'spec_mismatch';
    else {
      const checked = profileDeltaOf(report.profile, found.spec);
      if (!checked.ok) return this.refuse('invalid_profile', checked.error.message);
      delta = checked.value;
    }
    if (!delta) {
      // Kept unmerged for later, but only in a shape Profile.fromJSON could read then.
      const shape = validateMessage(profileJsonSchema, report.profile);
      if (!shape.ok) return this.refuse('invalid_profile', shape.error.message);
    }
    const guarded = this.options.guards?.check(source, report);
    if (guarded && !guarded.ok) return this.refuse(guarded.reason, guarded.message);
    const { profile, profileText, ...envelope } = report;
    const pending = {
      source,
      report: envelope,
      profileText: profileText ?? JSON.stringify(profile),
      inferences: delta?.inferences ?? countOf((profile as { inferences?: unknown }).inferences),
      status,
      delta,
    };
    return new Promise<IngestOutcome>((resolve) => {
      this.queue.push({ ...pending, resolve });
      this.schedule();
    });
  }

  private refuse(reason: RejectReason, message: string): Promise<IngestOutcome> {
    this.countRejected(reason);
    return Promise.resolve({ status: 'rejected', reason, message });
  }

  /** Whether the queue has room now (see {@link whenWritable}). */
  get writable(): boolean {
    return this.queue.length < this.maxQueuedReports;
  }

  /** Resolves once the queue has room (backpressure for transports that can pause their sender). */
  whenWritable(): Promise<void> {
    if (this.writable) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes everything queued now. */
  flush(): void {
    this.clearTimers();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchReports);
      this.writeBatch(batch);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Flushes and stops the timers. */
  close(): void {
    this.flush();
  }

  private schedule(): void {
    if (this.queue.length >= this.maxBatchReports) {
      this.immediate ??= setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.maxBatchDelayMs);
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private writeBatch(batch: Pending[]): void {
    const started = performance.now();
    const receivedAt = this.now();
    // Stage accounting and hourly aggregates use the server's clock (issue 19 item 9).
    for (const p of batch) {
      const offset = p.source.scope === 'dev' ? this.clockOffsetOf(p.source.sourceId) : undefined;
      p.report = { ...p.report, window: serverWindow(p.report.window, offset, receivedAt) };
    }
    try {
      const outcomes = this.options.db.transaction(() => {
        this.expireOld(batch, receivedAt);
        const inserted = this.insertReports(batch, receivedAt);
        const groups = new Map<string, AggregateGroup<AggregateKey> & { feedback: FeedbackAggregate[] }>();
        const fleet = new Map<string, AggregateGroup<FleetHourKey>>();
        for (const [i, p] of batch.entries()) {
          if (!inserted[i] || p.status !== 'merged' || !p.delta) continue;
          const hourMs = Math.floor(p.report.window.startMs / HOUR_MS) * HOUR_MS;
          const key = aggregateKeyOf(p.source, p.report, hourMs);
          const id = `${key.scope}\u0000${key.sourceId}\u0000${key.role}\u0000${key.hourMs}\u0000${key.modelName}\u0000${key.modelVersion}`;
          const group = groups.get(id) ?? { key, deltas: [], feedback: [] };
          group.deltas.push(p.delta);
          if (p.report.feedback) group.feedback.push(p.report.feedback);
          groups.set(id, group);
          const fleetId = `${key.role}\u0000${key.hourMs}\u0000${key.modelName}\u0000${key.modelVersion}`;
          const all = fleet.get(fleetId) ?? {
            key: { modelName: key.modelName, modelVersion: key.modelVersion, role: key.role, hourMs },
            deltas: [],
          };
          all.deltas.push(p.delta);
          fleet.set(fleetId, all);
        }
        this.merger.merge(groups.values(), receivedAt);
        this.fleetMerger.merge(fleet.values(), receivedAt);
        const acks = new Map<string, Ack>();
        return batch.map((p, i): IngestOutcome => {
          const client = clientKey(p);
          let ack = acks.get(client);
          if (!ack) {
            const { scope, sourceId } = p.source;
            const { clientId, epoch } = p.report;
            const seq = Math.max(
              this.store.highestSeq(scope, sourceId, clientId, epoch),
              this.store.prunedSeq(scope, sourceId, clientId, epoch),
            );
            ack = { v: PROTOCOL_VERSION, clientId: p.report.clientId, epoch: p.report.epoch, seq };
            acks.set(client, ack);
          }
          return {
            status: inserted[i] ? 'stored' : 'duplicate',
            reportStatus: inserted[i] ? p.status : null,
            // Names this very report: a lower seq lost on the way must never be trimmed by a later ack.
            ack: { ...ack, seqs: [p.report.seq] },
          };
        });
      });
      this.count(batch, outcomes);
      for (const [i, p] of batch.entries()) p.resolve(outcomes[i]!);
      this.notifyStored(batch, outcomes);
    } catch (err) {
      this.merger.invalidate();
      this.fleetMerger.invalidate();
      this.log.error({ err, reports: batch.length }, 'telemetry batch failed; reports stay unacknowledged');
      this.options.onStorageError?.(err);
      for (const p of batch) {
        this.countRejected('storage_failed');
        p.resolve({ status: 'rejected', reason: 'storage_failed', message: 'storage failed, retry later' });
      }
    }
    this.stats.batches++;
    this.stats.lastBatchReports = batch.length;
    this.stats.lastBatchMs = performance.now() - started;
  }

  /** Reports whose window began in a day past the hourly retention are kept unmerged (see `hourlyRetentionMs`). */
  private expireOld(batch: Pending[], receivedAt: number): void {
    const retentionMs = this.options.hourlyRetentionMs ?? 0;
    if (retentionMs <= 0) return;
    const cutoffMs = mergeCutoffMs(receivedAt, retentionMs);
    for (const p of batch) {
      if (p.status === 'merged' && p.report.window.startMs < cutoffMs) {
        p.status = 'expired';
        p.delta = null;
      }
    }
  }

  /**
   * Inserts the batch; per entry whether it was new (a repeat inside the batch is a duplicate, and so is a seq at or
   * below its client epoch's retention mark: its row may have been deleted after it was counted).
   */
  private insertReports(batch: Pending[], receivedAt: number): boolean[] {
    const marks = new Map<string, number>();
    return batch.map(({ source, report, profileText, inferences, status, delta }) => {
      const client = `${source.scope}\u0000${source.sourceId}\u0000${report.clientId}\u0000${report.epoch}`;
      let mark = marks.get(client);
      if (mark === undefined) {
        mark = this.store.prunedSeq(source.scope, source.sourceId, report.clientId, report.epoch);
        marks.set(client, mark);
      }
      if (report.seq <= mark) {
        this.stats.pastMark++;
        return false;
      }
      return this.store.insert({
        scope: source.scope,
        sourceId: source.sourceId,
        clientId: report.clientId,
        epoch: report.epoch,
        seq: report.seq,
        modelName: report.model.name,
        modelVersion: report.model.version,
        role: report.role,
        windowStartMs: report.window.startMs,
        windowEndMs: report.window.endMs,
        specHash: report.specHash,
        status,
        inferences,
        errors: delta?.errorCount ?? 0,
        runtime: report.runtime,
        overflow: report.overflow,
        software: report.software ?? null,
        feedback: report.feedback ?? null,
        profile: profileText,
        receivedAt,
      });
    });
  }

  private notifyStored(batch: Pending[], outcomes: IngestOutcome[]): void {
    if (this.storedListeners.length === 0) return;
    const stored = storedOf(batch, outcomes);
    if (stored.length === 0) return;
    for (const listener of this.storedListeners) {
      try {
        listener(stored);
      } catch (err) {
        this.log.error({ err }, 'telemetry stored listener failed');
      }
    }
  }

  private count(batch: Pending[], outcomes: IngestOutcome[]): void {
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'duplicate') {
        this.stats.duplicates++;
        continue;
      }
      this.stats.stored++;
      const status = batch[i]!.status;
      if (status === 'merged') this.stats.merged++;
      else if (status === 'expired') this.stats.expired++;
      else if (status === 'spec_mismatch') this.stats.specMismatches++;
      else this.stats.unknownVersions++;
    }
  }
}

function storedOf(batch: Pending[], outcomes: IngestOutcome[]): StoredReports[] {
  const groups = new Map<string, StoredReports>();
  for (const [i, p] of batch.entries()) {
    if (outcomes[i]?.status !== 'stored') continue;
    const key = `${p.source.scope}\u0000${p.source.sourceId}\u0000${p.report.model.name}\u0000${p.report.model.version}`;
    const group = groups.get(key);
    if (group) group.reports++;
    else {
      groups.set(key, {
        source: p.source,
        modelName: p.report.model.name,
        modelVersion: p.report.model.version,
        reports: 1,
      });
    }
  }
  return [...groups.values()];
}

/** Windows starting before this are not merged: the start of the UTC day the hourly retention reaches into. */
export function mergeCutoffMs(nowMs: number, hourlyRetentionMs: number): number {
  return Math.floor((nowMs - hourlyRetentionMs) / DAY_MS) * DAY_MS;
}

function clientKey(p: Pending): string {
  return `${p.source.scope}\u0000${p.source.sourceId}\u0000${p.report.clientId}\u0000${p.report.epoch}`;
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
