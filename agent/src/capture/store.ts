import Database from 'better-sqlite3';

/** A queued sample as stored: its metadata (JSON of `SampleMeta`) and content. */
export interface StoredSample {
  sha256: string;
  capturedMs: number;
  sizeBytes: number;
  meta: string;
  content: Buffer;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS samples (
  sha256 TEXT PRIMARY KEY,
  captured_ms INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  meta TEXT NOT NULL,
  content BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS samples_captured ON samples (captured_ms);
CREATE TABLE IF NOT EXISTS capture_day (id INTEGER PRIMARY KEY CHECK (id = 1), day TEXT NOT NULL);`;

/**
 * The capture queries (`capture.db` in the data dir, apart from the telemetry outbox): the sample queue, keyed by
 * content sha256, and the budget's day record. Every call may throw (a full or broken disk): callers guard.
 */
export class CaptureStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path);
    // Uploaded samples give their pages back to the file system: the queue bound bounds the file too.
    this.db.pragma('auto_vacuum = FULL');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: this.db.prepare(
        'INSERT OR IGNORE INTO samples (sha256, captured_ms, size_bytes, meta, content) VALUES (?, ?, ?, ?, ?)',
      ),
      has: this.db.prepare<[string], { one: number }>('SELECT 1 AS one FROM samples WHERE sha256 = ?'),
      totals: this.db.prepare<[], { n: number; bytes: number | null }>(
        'SELECT COUNT(*) AS n, SUM(size_bytes) AS bytes FROM samples',
      ),
      next: this.db.prepare<
        [],
        {
          sha256: string;
          captured_ms: number;
          size_bytes: number;
          meta: string;
          content: Buffer;
          attempts: number;
        }
      >(
        'SELECT sha256, captured_ms, size_bytes, meta, content, attempts FROM samples ORDER BY captured_ms, sha256 LIMIT 1',
      ),
      // Eviction order: samples chosen only by the ε-random rule first, then the others; oldest first in each.
      victims: this.db.prepare<[string], { sha256: string; size_bytes: number; random_only: number }>(
        `SELECT sha256, size_bytes, (json_extract(meta, '$.reasons') = '["random"]') AS random_only
         FROM samples WHERE sha256 != ? ORDER BY random_only DESC, captured_ms, sha256`,
      ),
      delete: this.db.prepare('DELETE FROM samples WHERE sha256 = ?'),
      tried: this.db.prepare('UPDATE samples SET attempts = attempts + 1 WHERE sha256 = ?'),
      expire: this.db.prepare<[number], { size_bytes: number }>(
        'DELETE FROM samples WHERE captured_ms < ? RETURNING size_bytes',
      ),
      readDay: this.db.prepare<[], { day: string }>('SELECT day FROM capture_day WHERE id = 1'),
      writeDay: this.db.prepare(
        'INSERT INTO capture_day (id, day) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET day = excluded.day',
      ),
    };
  }

  /** Queues a sample; false when one with the same content is queued already. */
  insert(s: Omit<StoredSample, 'attempts'>): boolean {
    return this.stmts.insert.run(s.sha256, s.capturedMs, s.sizeBytes, s.meta, s.content).changes === 1;
  }

  /**
   * The queued samples to evict so that `needBytes` more bytes fit, in eviction order (ε-random-only samples
   * first, then — unless `randomOnly` — the others; oldest first), never `keep` (the sample being uploaded);
   * undefined when evicting every candidate would still not free enough.
   */
  victims(
    needBytes: number,
    opts: { randomOnly: boolean; keep?: string | undefined },
  ): { sha256: string; sizeBytes: number }[] | undefined {
    const chosen: { sha256: string; sizeBytes: number }[] = [];
    let freed = 0;
    if (needBytes <= 0) return chosen;
    for (const row of this.stmts.victims.iterate(opts.keep ?? '')) {
      // A sample the random rule chose never pushes out one that a rule about the model chose.
      if (opts.randomOnly && !row.random_only) break;
      chosen.push({ sha256: row.sha256, sizeBytes: row.size_bytes });
      freed += row.size_bytes;
      if (freed >= needBytes) return chosen;
    }
    return undefined;
  }

  /** Deletes `evicted` and queues `s` in one transaction; false when `s`'s content is queued already. */
  insertEvicting(s: Omit<StoredSample, 'attempts'>, evicted: readonly { sha256: string }[]): boolean {
    return this.db.transaction(() => {
      if (this.has(s.sha256)) return false;
      for (const v of evicted) this.stmts.delete.run(v.sha256);
      return this.insert(s);
    })();
  }

  has(sha256: string): boolean {
    return this.stmts.has.get(sha256) !== undefined;
  }

  totals(): { samples: number; bytes: number } {
    const row = this.stmts.totals.get()!;
    return { samples: row.n, bytes: row.bytes ?? 0 };
  }

  /** The oldest sample waiting. */
  next(): StoredSample | undefined {
    const row = this.stmts.next.get();
    return row
      ? {
          sha256: row.sha256,
          capturedMs: row.captured_ms,
          sizeBytes: row.size_bytes,
          meta: row.meta,
          content: row.content,
          attempts: row.attempts,
        }
      : undefined;
  }

  delete(sha256: string): boolean {
    return this.stmts.delete.run(sha256).changes === 1;
  }

  /** Counts a failed upload try of a sample (it stays queued). */
  countTry(sha256: string): void {
    this.stmts.tried.run(sha256);
  }

  /** Deletes samples captured before `cutoffMs`; returns how many and their bytes. */
  expire(cutoffMs: number): { samples: number; bytes: number } {
    const rows = this.stmts.expire.all(cutoffMs);
    return { samples: rows.length, bytes: rows.reduce((sum, r) => sum + r.size_bytes, 0) };
  }

  /** The budget's day record as stored (JSON), if any. */
  readDay(): string | undefined {
    return this.stmts.readDay.get()?.day;
  }

  writeDay(json: string): void {
    this.stmts.writeDay.run(json);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
