import Database from 'better-sqlite3';
import { sniffImage } from '../image/decode';

/** An encoded image kept for an operator's review. */
export interface ReviewImage {
  bytes: Buffer;
  contentType: 'image/png' | 'image/jpeg';
}

/** What {@link ReviewImageStore.put} did with an image. */
export type PutOutcome = 'kept' | 'over_budget' | 'not_an_image';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS review_images (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  bytes BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS review_images_created ON review_images (created_ms);`;

const CONTENT_TYPE = { png: 'image/png', jpeg: 'image/jpeg' } as const;

/**
 * The images of predictions routed to review, kept on the device only (`review-images.db` in the data dir): the
 * station page shows them to the operator. Bounded by `maxBytes` of image bytes (oldest evicted first) and by the
 * label TTL (an image no label can use any more is deleted); an image is deleted once labelled. The type is read
 * from the bytes (PNG or JPEG), never from what a caller claimed, so the API only ever serves an image type.
 */
export class ReviewImageStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private bytes: number;
  /** Images evicted to stay within the byte budget (not labelled, not expired). */
  evicted = 0;

  constructor(
    path: string,
    private readonly opts: { maxBytes: number; ttlMs: number; now?: () => number },
  ) {
    this.db = new Database(path);
    // Deleted images give their pages back to the file system: the budget bounds the file, not only the rows.
    this.db.pragma('auto_vacuum = FULL');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.stmts = {
      insert: this.db.prepare(
        'INSERT OR IGNORE INTO review_images (id, created_ms, content_type, size_bytes, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      get: this.db.prepare<[string, number], { content_type: string; bytes: Buffer }>(
        'SELECT content_type, bytes FROM review_images WHERE id = ? AND created_ms >= ?',
      ),
      has: this.db.prepare<[string, number], { one: number }>(
        'SELECT 1 AS one FROM review_images WHERE id = ? AND created_ms >= ?',
      ),
      delete: this.db.prepare<[string], { size_bytes: number }>(
        'DELETE FROM review_images WHERE id = ? RETURNING size_bytes',
      ),
      oldest: this.db.prepare<[], { seq: number; size_bytes: number }>(
        'SELECT seq, size_bytes FROM review_images ORDER BY seq LIMIT 1',
      ),
      deleteSeq: this.db.prepare('DELETE FROM review_images WHERE seq = ?'),
      expire: this.db.prepare<[number], { size_bytes: number }>(
        'DELETE FROM review_images WHERE created_ms < ? RETURNING size_bytes',
      ),
      total: this.db.prepare<[], { n: number; bytes: number }>(
        'SELECT COUNT(*) AS n, COALESCE(SUM(size_bytes), 0) AS bytes FROM review_images',
      ),
    };
    this.bytes = this.stmts.total.get()!.bytes;
    this.expire();
  }

  /** Deletes the images past the label TTL (no label can use them any more). */
  expire(): void {
    for (const row of this.stmts.expire.all(this.oldestKeptMs)) this.bytes -= row.size_bytes;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private get oldestKeptMs(): number {
    return this.now() - this.opts.ttlMs;
  }

  /** Image bytes kept now. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Images kept now. */
  get count(): number {
    return this.stmts.total.get()!.n;
  }

  /** Keeps an image, evicting the oldest beyond the budget. Throws on a storage failure (the caller counts it). */
  put(predictionId: string, createdMs: number, encoded: Uint8Array): PutOutcome {
    const kind = sniffImage(encoded);
    if (!kind) return 'not_an_image';
    if (encoded.byteLength > this.opts.maxBytes) return 'over_budget';
    this.db.transaction(() => {
      this.expire();
      while (this.bytes + encoded.byteLength > this.opts.maxBytes) {
        const oldest = this.stmts.oldest.get();
        if (!oldest) break;
        this.stmts.deleteSeq.run(oldest.seq);
        this.bytes -= oldest.size_bytes;
        this.evicted++;
      }
      const inserted = this.stmts.insert.run(
        predictionId,
        createdMs,
        CONTENT_TYPE[kind],
        encoded.byteLength,
        Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength),
      ).changes;
      this.bytes += inserted * encoded.byteLength;
    })();
    return 'kept';
  }

  /** The image of a prediction, unless it was labelled, evicted or expired. */
  get(predictionId: string): ReviewImage | undefined {
    const row = this.stmts.get.get(predictionId, this.oldestKeptMs);
    return row
      ? { bytes: row.bytes, contentType: row.content_type as ReviewImage['contentType'] }
      : undefined;
  }

  /** Whether the image of a prediction can still be served. */
  has(predictionId: string): boolean {
    return this.stmts.has.get(predictionId, this.oldestKeptMs) !== undefined;
  }

  /** Deletes the image of a labelled prediction. */
  delete(predictionId: string): void {
    const row = this.stmts.delete.get(predictionId);
    if (row) this.bytes -= row.size_bytes;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
