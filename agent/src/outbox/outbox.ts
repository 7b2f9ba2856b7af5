import {
  canonicalSpecJson,
  mergeWindowReports,
  type OutboxEntry,
  type OverflowCounters,
  type ProfileSpec,
  planCompaction,
  type RuntimeInfo,
  type SoftwareMetrics,
  type TelemetryReport,
} from '@edgefleet/shared';
import Database from 'better-sqlite3';
import type { WindowDraft } from '../telemetry/windows';

/** A stored report waiting for its ack. */
export interface PendingReport {
  epoch: number;
  seq: number;
  body: string;
}

/** Counters of an outbox. */
export interface OutboxStats {
  pending: number;
  appended: number;
  acked: number;
  overflow: OverflowCounters;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
  epoch INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  inferences INTEGER NOT NULL,
  body TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (epoch, seq)
);
CREATE TABLE IF NOT EXISTS specs (spec_hash TEXT PRIMARY KEY, spec TEXT NOT NULL);`;

interface EntryRow {
  epoch: number;
  seq: number;
  inferences: number;
  sent: number;
  name: string;
  version: string;
  role: 'active' | 'shadow';
  specHash: string;
  startMs: number;
  endMs: number;
  spec: string | null;
}

type Entry = OutboxEntry & { spec: string | null };

/**
 * Durable telemetry outbox in SQLite (WAL). Every start opens a new `epoch`; `seq` rises per report
 * within it; `(clientId, epoch, seq)` lets the server store each report once. A report is deleted only
 * when an ack names it. At `maxReports` an append first makes room by the shared {@link planCompaction}: adjacent
 * windows of one model version, role and spec merge into coarser ones (oldest first; the newest quarter
 * stays fine-grained); a merge writes one report under a new `seq` of the current epoch and deletes the
 * merged rows in the same transaction, so seqs stay unique and every ack deletes what it names. Reports
 * already sent are never merged (the server may hold them: merging would count them twice). Only when
 * nothing can merge are the oldest dropped. `overflow.mergedWindows` counts the reports merging saved
 * (a merge of k windows adds k − 1) and `droppedReports`/`droppedInferences` what was dropped; every
 * later report of the epoch carries them — never silent. Appends are single transactions, so `kill -9`
 * leaves either the whole report or none.
 */
export class Outbox {
  readonly epoch: number;
  /** The highest epoch this outbox had recorded before it was opened (undefined for a new file). */
  readonly storedEpoch: number | undefined;
  private readonly db: Database.Database;
  private epochRecorded = false;
  private nextSeq: number;
  private overflow: OverflowCounters;
  private appended = 0;
  private acked = 0;
  private readonly stmts;

  /**
   * Opens (creating if needed) the outbox at `path`. `chooseEpoch` picks this start's epoch from the one the
   * file recorded (default: one above it); the file records it with the first append, so opening writes
   * nothing when the tables exist (an outbox opens on a full disk).
   */
  constructor(
    path: string,
    readonly clientId: string,
    private maxReports: number,
    chooseEpoch: (stored: number | undefined) => number = (stored) => (stored ?? 0) + 1,
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(reports)').all();
    if (!columns.some((c) => c.name === 'sent')) {
      // Written before the column: the server may hold them, so they count as sent (never merged).
      this.db.exec('ALTER TABLE reports ADD COLUMN sent INTEGER NOT NULL DEFAULT 1');
    }
    const get = this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?');
    const set = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    // Reports written under another client id (before enrollment) can never be accepted: drop, count.
    const foreign = this.db
      .prepare<[string], { n: number; inferences: number | null }>(
        "SELECT COUNT(*) AS n, SUM(inferences) AS inferences FROM reports WHERE json_extract(body, '$.clientId') != ?",
      )
      .get(clientId)!;
    this.db.prepare("DELETE FROM reports WHERE json_extract(body, '$.clientId') != ?").run(clientId);
    this.storedEpoch = get.get('epoch')?.value;
    this.epoch = chooseEpoch(this.storedEpoch);
    this.nextSeq = 1;
    this.overflow = {
      mergedWindows: 0,
      droppedReports: foreign.n,
      droppedInferences: foreign.inferences ?? 0,
    };
    this.stmts = {
      set,
      insert: this.db.prepare('INSERT INTO reports (epoch, seq, inferences, body) VALUES (?, ?, ?, ?)'),
      count: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM reports'),
      entries: this.db.prepare<[], EntryRow>(
        `SELECT r.epoch, r.seq, r.inferences, r.sent, s.spec,
           json_extract(r.body, '$.model.name') AS name, json_extract(r.body, '$.model.version') AS version,
           json_extract(r.body, '$.role') AS role, json_extract(r.body, '$.specHash') AS specHash,
           json_extract(r.body, '$.window.startMs') AS startMs, json_extract(r.body, '$.window.endMs') AS endMs
         FROM reports r LEFT JOIN specs s ON s.spec_hash = json_extract(r.body, '$.specHash')`,
      ),
      body: this.db.prepare<[number, number], { body: string }>(
        'SELECT body FROM reports WHERE epoch = ? AND seq = ?',
      ),
      remove: this.db.prepare('DELETE FROM reports WHERE epoch = ? AND seq = ?'),
      saveSpec: this.db.prepare('INSERT OR IGNORE INTO specs (spec_hash, spec) VALUES (?, ?)'),
      markSent: this.db.prepare('UPDATE reports SET sent = 1 WHERE epoch = ? AND seq = ? AND sent = 0'),
      // Only rows that were sent: one never sent (e.g. a merge, written under a new seq) cannot be stored.
      ackUpTo: this.db.prepare('DELETE FROM reports WHERE epoch = ? AND seq <= ? AND sent = 1'),
      ackOne: this.db.prepare('DELETE FROM reports WHERE epoch = ? AND seq = ?'),
      pending: this.db.prepare<[number], PendingReport>(
        'SELECT epoch, seq, body FROM reports ORDER BY epoch, seq LIMIT ?',
      ),
    };
  }

  /**
   * Writes a closed window as a report (one transaction): stamps `clientId`, `epoch`, the next `seq`
   * and the overflow counters, first merging (or, when nothing merges, dropping) old windows if full.
   */
  append(
    draft: WindowDraft,
    runtime: RuntimeInfo,
    software?: SoftwareMetrics,
    unstored: { reports: number; inferences: number } = { reports: 0, inferences: 0 },
  ): TelemetryReport {
    // A failed transaction rolls the rows back: the counters and seq go back with them.
    const before = { overflow: { ...this.overflow }, nextSeq: this.nextSeq };
    try {
      const report = this.appendNow(draft, runtime, software, unstored);
      this.epochRecorded = true;
      this.appended++;
      return report;
    } catch (err) {
      this.overflow = before.overflow;
      this.nextSeq = before.nextSeq;
      throw err;
    }
  }

  /** Whether the window of `epoch` that started at `startMs` (or a later one) was appended. */
  windowClosed(epoch: number, startMs: number): boolean {
    const get = this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?');
    const closedEpoch = get.get('closedEpoch')?.value;
    const closedStart = get.get('closedWindowStartMs')?.value;
    return (
      closedEpoch !== undefined &&
      closedStart !== undefined &&
      (closedEpoch > epoch || (closedEpoch === epoch && closedStart >= startMs))
    );
  }

  /** Changes the bound (the desired state's `outboxMaxReports`); the next append compacts to it. */
  setMaxReports(maxReports: number): void {
    this.maxReports = maxReports;
  }

  private appendNow(
    draft: WindowDraft,
    runtime: RuntimeInfo,
    software: SoftwareMetrics | undefined,
    unstored: { reports: number; inferences: number },
  ): TelemetryReport {
    return this.db.transaction(() => {
      if (!this.epochRecorded) this.stmts.set.run('epoch', this.epoch);
      // Which window was closed last, in the same transaction: a checkpoint of it is never appended twice.
      this.stmts.set.run('closedEpoch', this.epoch);
      this.stmts.set.run('closedWindowStartMs', draft.window.startMs);
      // Windows that could not be stored (a full disk) are counted as dropped in this and every later report.
      this.overflow.droppedReports += unstored.reports;
      this.overflow.droppedInferences += unstored.inferences;
      this.stmts.saveSpec.run(draft.specHash, canonicalSpecJson(draft.spec));
      const { n } = this.stmts.count.get()!;
      if (n >= this.maxReports) this.compact(Math.max(1, this.maxReports) - 1);
      const { inferences, ...fields } = {
        window: draft.window,
        model: draft.model,
        role: draft.role,
        specHash: draft.specHash,
        profile: draft.profile,
        runtime,
        ...(software ? { software } : {}),
        ...(draft.feedback ? { feedback: draft.feedback } : {}),
        inferences: draft.inferences,
      };
      return this.insert(fields, inferences);
    })();
  }

  /** Marks a report as sent: from now on the server may hold it, so it is never merged. */
  markSent(epoch: number, seq: number): void {
    this.stmts.markSent.run(epoch, seq);
  }

  private insert(
    fields: Omit<TelemetryReport, 'v' | 'clientId' | 'epoch' | 'seq' | 'overflow'>,
    inferences: number,
  ) {
    const report: TelemetryReport = {
      v: 1,
      clientId: this.clientId,
      epoch: this.epoch,
      seq: this.nextSeq++,
      ...fields,
      overflow: { ...this.overflow },
    };
    this.stmts.insert.run(report.epoch, report.seq, inferences, JSON.stringify(report));
    return report;
  }

  // Brings the outbox down to `maxEntries` reports (inside append's transaction).
  private compact(maxEntries: number): void {
    const entries = this.stmts.entries.all().map(
      (row): Entry => ({
        epoch: row.epoch,
        seq: row.seq,
        model: { name: row.name, version: row.version },
        role: row.role,
        specHash: row.specHash,
        window: { startMs: row.startMs, endMs: row.endMs },
        inferences: row.inferences,
        frozen: row.sent !== 0 || row.spec === null,
        spec: row.spec,
      }),
    );
    // The last report of an earlier epoch carries that epoch's final overflow counters: it never merges.
    const lastOfEpoch = new Map<number, Entry>();
    for (const e of entries) {
      if (e.epoch !== this.epoch && e.seq > (lastOfEpoch.get(e.epoch)?.seq ?? 0)) lastOfEpoch.set(e.epoch, e);
    }
    for (const e of lastOfEpoch.values()) e.frozen = true;
    // A tenth of the bound of headroom: a full outbox plans (and reads every row) once per many windows.
    const plan = planCompaction(entries, { maxEntries, headroom: Math.floor(this.maxReports / 10) });
    for (const group of plan.merges) {
      const reports = group.map(
        (e) => JSON.parse(this.stmts.body.get(e.epoch, e.seq)!.body) as TelemetryReport,
      );
      const merged = mergeWindowReports(reports, JSON.parse(group[0]!.spec!) as ProfileSpec);
      for (const e of group) this.stmts.remove.run(e.epoch, e.seq);
      if (!merged.ok) {
        // A profile that cannot be read back cannot merge: its windows are dropped, and counted.
        this.countDropped(group);
        continue;
      }
      this.overflow.mergedWindows += group.length - 1;
      const { inferences, ...fields } = merged.value;
      this.insert(fields, inferences);
    }
    for (const e of plan.drops) {
      if (lastOfEpoch.get(e.epoch) === e) this.carryForward(e);
      this.stmts.remove.run(e.epoch, e.seq);
    }
    this.countDropped(plan.drops);
  }

  // A dropped last report of an earlier epoch would take that epoch's counters along: the current epoch
  // carries them on instead.
  private carryForward(e: OutboxEntry): void {
    const { overflow } = JSON.parse(this.stmts.body.get(e.epoch, e.seq)!.body) as TelemetryReport;
    this.overflow.mergedWindows += overflow.mergedWindows;
    this.overflow.droppedReports += overflow.droppedReports;
    this.overflow.droppedInferences += overflow.droppedInferences;
  }

  private countDropped(entries: readonly OutboxEntry[]): void {
    this.overflow.droppedReports += entries.length;
    for (const e of entries) this.overflow.droppedInferences += e.inferences;
  }

  /** Oldest reports first, at most `limit`. */
  pending(limit: number): PendingReport[] {
    return this.stmts.pending.all(limit);
  }

  /** Deletes exactly the reports of `epoch` the server named as stored; returns how many were here. */
  ack(epoch: number, seqs: readonly number[]): number {
    const changes = this.db.transaction(() => {
      let n = 0;
      for (const seq of seqs) n += this.stmts.ackOne.run(epoch, seq).changes;
      return n;
    })();
    this.acked += changes;
    return changes;
  }

  /**
   * Deletes every sent report of `epoch` up to `seq`: all an ack of an older server (no `seqs`) says. A
   * report lost in flight below a stored one goes too, which is why servers now name the exact seqs.
   */
  ackUpTo(epoch: number, seq: number): number {
    const changes = this.stmts.ackUpTo.run(epoch, seq).changes;
    this.acked += changes;
    return changes;
  }

  stats(): OutboxStats {
    return {
      pending: this.stmts.count.get()!.n,
      appended: this.appended,
      acked: this.acked,
      overflow: { ...this.overflow },
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
