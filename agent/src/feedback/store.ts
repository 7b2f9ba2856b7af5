import {
  type DecisionRoute,
  judgeLabel,
  type KeptPrediction,
  type LabelRefusal,
  labelRefusalMessage,
} from '@edgefleet/shared';
import Database from 'better-sqlite3';

/** One prediction kept for a later operator label. */
export type PredictionRecord = KeptPrediction;

/** What {@link PredictionStore.claim} decided. */
export type ClaimOutcome =
  | { ok: true; record: PredictionRecord; trueIndex: number }
  | { ok: false; refusal: Exclude<LabelRefusal, 'window_full'>; message: string };

interface Row {
  id: string;
  created_ms: number;
  model_name: string;
  model_version: string;
  classes: string;
  predicted: number;
  confidence: number;
  route: DecisionRoute;
  reason: string;
  label: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  classes TEXT NOT NULL,
  predicted INTEGER NOT NULL,
  confidence REAL NOT NULL,
  route TEXT NOT NULL,
  reason TEXT NOT NULL,
  label INTEGER,
  labelled_ms INTEGER
);
CREATE INDEX IF NOT EXISTS predictions_pending ON predictions (route, label, created_ms);`;

const toRecord = (r: Row): PredictionRecord => ({
  predictionId: r.id,
  createdMs: r.created_ms,
  model: { name: r.model_name, version: r.model_version },
  classes: JSON.parse(r.classes) as string[],
  predictedIndex: r.predicted,
  confidence: r.confidence,
  route: r.route,
  reason: r.reason,
});

/**
 * The agent's predictions awaiting labels, in SQLite (`predictions.db` in the data dir, WAL): they survive a
 * restart. Bounded twice: at most `maxPredictions` rows (oldest dropped first) and rows older than twice the
 * label TTL are deleted, so a label within the TTL is taken, one after it is told `expired` for another TTL,
 * and beyond that the id is `unknown`. A label is claimed once (`UPDATE … WHERE label IS NULL`).
 */
export class PredictionStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private rows: number;
  private inserts = 0;

  constructor(
    path: string,
    private readonly opts: { ttlMs: number; maxPredictions: number; now?: () => number },
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: this.db.prepare(
        `INSERT OR IGNORE INTO predictions (id, created_ms, model_name, model_version, classes, predicted, confidence, route, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: this.db.prepare<[string], Row>('SELECT * FROM predictions WHERE id = ?'),
      claim: this.db.prepare(
        'UPDATE predictions SET label = ?, labelled_ms = ? WHERE id = ? AND label IS NULL',
      ),
      unclaim: this.db.prepare('UPDATE predictions SET label = NULL, labelled_ms = NULL WHERE id = ?'),
      pending: this.db.prepare<[number, number], Row>(
        `SELECT * FROM predictions WHERE route = 'review' AND label IS NULL AND created_ms >= ?
         ORDER BY created_ms DESC, seq DESC LIMIT ?`,
      ),
      count: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM predictions'),
      dropOldest: this.db.prepare(
        'DELETE FROM predictions WHERE seq IN (SELECT seq FROM predictions ORDER BY seq LIMIT ?)',
      ),
      dropBefore: this.db.prepare('DELETE FROM predictions WHERE created_ms < ?'),
    };
    this.rows = this.stmts.count.get()!.n;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Rows kept now. */
  get size(): number {
    return this.rows;
  }

  /** Keeps a prediction; trims the store to its bounds. Throws on a storage failure (the caller counts it). */
  record(p: PredictionRecord): void {
    const changes = this.stmts.insert.run(
      p.predictionId,
      p.createdMs,
      p.model.name,
      p.model.version,
      JSON.stringify(p.classes),
      p.predictedIndex,
      p.confidence,
      p.route,
      p.reason,
    ).changes;
    this.rows += changes;
    if (this.rows > this.opts.maxPredictions) {
      this.rows -= this.stmts.dropOldest.run(this.rows - this.opts.maxPredictions).changes;
    }
    // Past twice the TTL a prediction can only be refused as unknown: drop them now and then.
    if (++this.inserts % 1024 === 0) {
      this.rows -= this.stmts.dropBefore.run(this.now() - 2 * this.opts.ttlMs).changes;
    }
  }

  /** Takes a label for a prediction once, or says why not. */
  claim(predictionId: string, label: string): ClaimOutcome {
    const row = this.stmts.get.get(predictionId);
    if (!row) {
      return {
        ok: false,
        refusal: 'unknown',
        message: labelRefusalMessage.unknown(
          predictionId,
          'not made on this device, or older than twice the feedback TTL',
        ),
      };
    }
    const record = toRecord(row);
    const judged = judgeLabel(record, label, { nowMs: this.now(), ttlMs: this.opts.ttlMs });
    if (!judged.ok) return judged;
    const { trueIndex } = judged;
    if (this.stmts.claim.run(trueIndex, this.now(), predictionId).changes === 0) {
      return { ok: false, refusal: 'duplicate', message: labelRefusalMessage.duplicate(predictionId) };
    }
    return { ok: true, record, trueIndex };
  }

  /** Gives a claimed label back (its window could not count it; the caller may send it again). */
  unclaim(predictionId: string): void {
    this.stmts.unclaim.run(predictionId);
  }

  /** Predictions routed to review, still without a label and within the TTL, newest first. */
  pendingReview(limit: number): PredictionRecord[] {
    return this.stmts.pending.all(this.now() - this.opts.ttlMs, limit).map(toRecord);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
