import type { OverflowCounters, RuntimeInfo, TelemetryReport } from '@edgefleet/shared';
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
  PRIMARY KEY (epoch, seq)
);`;

/**
 * Durable telemetry outbox in SQLite (WAL). Every start opens a new `epoch`; `seq` rises per report
 * within it; `(clientId, epoch, seq)` lets the server store each report once. A report is deleted only
 * when acked. Beyond `maxReports` the oldest are dropped and counted in the overflow counters that every
 * later report of the epoch carries — never silent. Appends are single transactions, so `kill -9`
 * leaves either the whole report or none.
 */
export class Outbox {
  readonly epoch: number;
  private readonly db: Database.Database;
  private nextSeq: number;
  private overflow: OverflowCounters;
  private appended = 0;
  private acked = 0;
  private readonly stmts;

  constructor(
    path: string,
    private readonly clientId: string,
    private readonly maxReports: number,
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
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
    this.epoch = (get.get('epoch')?.value ?? 0) + 1;
    set.run('epoch', this.epoch);
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
      oldest: this.db.prepare<[number], { epoch: number; seq: number; inferences: number }>(
        'SELECT epoch, seq, inferences FROM reports ORDER BY epoch, seq LIMIT ?',
      ),
      remove: this.db.prepare('DELETE FROM reports WHERE epoch = ? AND seq = ?'),
      ack: this.db.prepare('DELETE FROM reports WHERE epoch = ? AND seq <= ?'),
      pending: this.db.prepare<[number], PendingReport>(
        'SELECT epoch, seq, body FROM reports ORDER BY epoch, seq LIMIT ?',
      ),
    };
  }

  /**
   * Writes a closed window as a report (one transaction): stamps `clientId`, `epoch`, the next `seq`
   * and the overflow counters, dropping and counting the oldest reports first if the outbox is full.
   */
  append(draft: WindowDraft, runtime: RuntimeInfo): TelemetryReport {
    return this.db.transaction(() => {
      const { n } = this.stmts.count.get()!;
      if (n >= this.maxReports) {
        for (const row of this.stmts.oldest.all(n - this.maxReports + 1)) {
          this.stmts.remove.run(row.epoch, row.seq);
          this.overflow.droppedReports++;
          this.overflow.droppedInferences += row.inferences;
        }
      }
      const report: TelemetryReport = {
        v: 1,
        clientId: this.clientId,
        epoch: this.epoch,
        seq: this.nextSeq,
        window: draft.window,
        model: draft.model,
        role: draft.role,
        specHash: draft.specHash,
        profile: draft.profile,
        runtime,
        overflow: { ...this.overflow },
      };
      this.stmts.insert.run(this.epoch, this.nextSeq, draft.inferences, JSON.stringify(report));
      this.nextSeq++;
      this.appended++;
      return report;
    })();
  }

  /** Oldest reports first, at most `limit`. */
  pending(limit: number): PendingReport[] {
    return this.stmts.pending.all(limit);
  }

  /** Deletes every report of `epoch` up to `seq` (the server stored them). */
  ack(epoch: number, seq: number): number {
    const changes = this.stmts.ack.run(epoch, seq).changes;
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
