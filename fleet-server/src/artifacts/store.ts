import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { link, mkdir, open, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { InvalidInput, PayloadTooLarge } from '../errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Whether `text` is a lowercase sha256 hex digest; guards every path built from a request. */
export const isSha256Hex = (text: string): boolean => SHA256_HEX.test(text);

/** Bytes received into a temp file, hashed on the way; `commit` moves them into the store, `discard` removes them. */
export interface ReceivedUpload {
  tempPath: string;
  sha256: string;
  sizeBytes: number;
  /** Moves the bytes to their content address; returns false when identical bytes were stored already. */
  commit(): Promise<boolean>;
  discard(): Promise<void>;
}

/**
 * Content-addressed files under `<dataDir>/<folder>/sha256/ab/<sha256>`. Uploads stream into
 * `<dataDir>/tmp` (same file system) and appear in the store only by an atomic link, so a reader never
 * sees a partial artifact and a failed upload leaves nothing behind.
 */
export class ArtifactStore {
  readonly root: string;
  readonly tmpDir: string;

  /** `folder`: the store's folder in the data dir (`samples` keeps captured samples apart from artifacts). */
  constructor(dataDir: string, folder = 'artifacts') {
    this.root = join(dataDir, folder, 'sha256');
    this.tmpDir = join(dataDir, 'tmp');
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Removes temp files a crash left behind; call once at start, before serving. */
  removeStaleUploads(): number {
    const stale = readdirSync(this.tmpDir);
    for (const name of stale) rmSync(join(this.tmpDir, name), { force: true, recursive: true });
    return stale.length;
  }

  /** Where the artifact with this digest lives; throws InvalidInput for anything but a sha256 hex digest. */
  pathOf(sha256: string): string {
    if (!isSha256Hex(sha256))
      throw new InvalidInput('expected a lowercase sha256 hex digest', { field: 'sha256' });
    return join(this.root, sha256.slice(0, 2), sha256);
  }

  /** Size of a stored artifact, or null when absent. */
  async sizeOf(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return null;
    }
  }

  /** Marks a stored artifact as just uploaded again (its file's mtime), which restarts its GC grace period. */
  async touch(sha256: string, atMs: number): Promise<void> {
    const at = new Date(atMs);
    await utimes(this.pathOf(sha256), at, at).catch(() => {});
  }

  /** Streams `[start, end]` (inclusive) of a stored artifact as a web stream. */
  read(sha256: string, range?: { start: number; end: number }): ReadableStream<Uint8Array> {
    const nodeStream = createReadStream(this.pathOf(sha256), range);
    return Readable.toWeb(nodeStream) as ReadableStream<Uint8Array>;
  }

  /** Streams `body` into a temp file while hashing; more than `maxBytes` throws PayloadTooLarge and removes it. */
  async receive(
    body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    maxBytes: number,
  ): Promise<ReceivedUpload> {
    const tempPath = join(this.tmpDir, `upload-${randomBytes(12).toString('hex')}`);
    const file = await open(tempPath, 'wx', 0o600);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    try {
      for await (const chunk of chunksOf(body)) {
        sizeBytes += chunk.byteLength;
        if (sizeBytes > maxBytes)
          throw new PayloadTooLarge(`artifact exceeds ${maxBytes} bytes`, { maxBytes });
        hash.update(chunk);
        await file.write(chunk);
      }
      await file.sync();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(tempPath, { force: true });
      throw error;
    }
    await file.close();
    const sha256 = hash.digest('hex');
    return {
      tempPath,
      sha256,
      sizeBytes,
      commit: () => this.#commit(tempPath, sha256),
      discard: () => rm(tempPath, { force: true }),
    };
  }

  async #commit(tempPath: string, sha256: string): Promise<boolean> {
    const target = this.pathOf(sha256);
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    try {
      // link() fails if the target exists: same bytes are stored once, and never overwritten in place.
      await link(tempPath, target);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(tempPath, { force: true });
    }
  }
}

async function* chunksOf(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  if (!('getReader' in body)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stop the producer when we bail out early (size limit): the rest of the body is never read.
    await reader.cancel().catch(() => {});
  }
}

/** An artifact's record: size, kind and (for a model) its IO signature. */
export type ArtifactRow = typeof schema.artifacts.$inferSelect;

/** The record of an artifact, or undefined. */
export function findArtifact(db: FleetDb, sha256: string): ArtifactRow | undefined {
  return db.select().from(schema.artifacts).where(eq(schema.artifacts.sha256, sha256)).get();
}

/** Records a stored artifact (identical bytes recorded before are left as they are). */
export function insertArtifact(db: FleetDb, row: ArtifactRow): void {
  db.insert(schema.artifacts).values(row).onConflictDoNothing().run();
}
