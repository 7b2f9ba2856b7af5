import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeployFailure } from '../errors';

/** What to download and how to check it. */
export interface DownloadRequest {
  url: string;
  /** Partial file; an existing one is resumed with `Range`. */
  dest: string;
  sha256: string;
  sizeBytes: number;
  headers?: Record<string, string>;
  fetchImpl?: typeof fetch;
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Downloads an artifact into `dest`, resuming a partial file with `Range: bytes=N-` (a 200 answer
 * restarts it), then checks size and sha256. Throws {@link DeployFailure} at `download` or
 * `verify_sha256`; a file that fails the hash is deleted so the next try starts clean.
 */
export async function downloadArtifact(req: DownloadRequest): Promise<void> {
  const doFetch = req.fetchImpl ?? fetch;
  let have = await sizeOf(req.dest);
  if (have > req.sizeBytes) {
    await rm(req.dest, { force: true });
    have = 0;
  }
  const hash = createHash('sha256');
  if (have < req.sizeBytes) {
    const headers: Record<string, string> = { ...req.headers };
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: Response;
    try {
      res = await doFetch(req.url, { headers });
    } catch (err) {
      throw new DeployFailure('download', `GET ${req.url}: ${(err as Error).message}`);
    }
    if (res.status !== 200 && res.status !== 206) {
      throw new DeployFailure('download', `GET ${req.url}: expected 200 or 206, got ${res.status}`);
    }
    if (!res.body) throw new DeployFailure('download', `GET ${req.url}: empty body`);
    const append = res.status === 206 && have > 0;
    if (append) await hashFile(req.dest, hash);
    const hashing = new TransformHash(hash);
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        hashing,
        createWriteStream(req.dest, { flags: append ? 'a' : 'w' }),
      );
    } catch (err) {
      throw new DeployFailure('download', `GET ${req.url}: ${(err as Error).message}`);
    }
  } else {
    await hashFile(req.dest, hash);
  }
  const size = await sizeOf(req.dest);
  const digest = hash.digest('hex');
  if (size !== req.sizeBytes || digest !== req.sha256) {
    await rm(req.dest, { force: true });
    throw new DeployFailure(
      'verify_sha256',
      `expected ${req.sizeBytes} bytes with sha256 ${req.sha256}, got ${size} bytes with ${digest}`,
    );
  }
}

class TransformHash extends Transform {
  constructor(private readonly hash: ReturnType<typeof createHash>) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
}
