import { getMeta, type Store, setMeta } from '../storage/db';

/** The bytes of an interrupted download, kept so that the next attempt asks only for the rest (`Range`). */
export interface PartialDownload {
  sha256: string;
  /** The first `loadedBytes` bytes of the artifact. */
  bytes: ArrayBuffer;
  loadedBytes: number;
  /** The response's ETag, sent back as `If-Range`: a changed artifact answers 200 with all of it. */
  etag?: string;
}

const keyOf = (sha256: string): string => `partial:${sha256}`;

/** The stored partial download of `sha256`, if any and if it is consistent. */
export async function readPartial(
  store: Store,
  sha256: string,
  sizeBytes: number,
): Promise<PartialDownload | undefined> {
  const partial = await getMeta<PartialDownload>(store, keyOf(sha256));
  const ok =
    partial !== undefined &&
    partial.sha256 === sha256 &&
    partial.bytes instanceof ArrayBuffer &&
    Number.isInteger(partial.loadedBytes) &&
    partial.loadedBytes > 0 &&
    partial.loadedBytes < sizeBytes &&
    partial.bytes.byteLength >= partial.loadedBytes;
  return ok ? partial : undefined;
}

/** Keeps the first `loadedBytes` of `bytes` for a later resume (awaited). Failing to store is not fatal. */
export async function writePartial(
  store: Store,
  partial: { sha256: string; bytes: Uint8Array; loadedBytes: number; etag?: string },
): Promise<void> {
  const { sha256, loadedBytes, etag } = partial;
  const bytes = partial.bytes.slice(0, loadedBytes).buffer;
  await setMeta(store, keyOf(sha256), { sha256, bytes, loadedBytes, ...(etag ? { etag } : {}) }).catch(
    () => undefined,
  );
}

/** Forgets a partial download (complete, or its bytes did not verify). */
export async function clearPartial(store: Store, sha256: string): Promise<void> {
  await store.delete('meta', keyOf(sha256)).catch(() => undefined);
}
