import {
  type Manifest,
  type ManifestKeys,
  type ModelRef,
  sha256Hex,
  verifyManifest,
} from '@edgefleet/shared';
import { messageOf, RuntimeError } from '../errors';
import type { Store } from '../storage/db';
import { clearPartial, readPartial, writePartial } from './partial';

/** Download progress: bytes so far and the total; `cached` when the bytes came from IndexedDB. */
export interface ProgressEvent {
  name: string;
  version: string;
  loadedBytes: number;
  totalBytes: number;
  cached: boolean;
}

/** Verifies a model ref's manifest signature with the fleet's keys; throws `signature_invalid`. */
export async function verifyRef(ref: ModelRef, keys: ManifestKeys): Promise<Manifest> {
  const verified = await verifyManifest(ref, keys);
  if (!verified.ok) {
    throw new RuntimeError(
      'signature_invalid',
      `manifest of ${ref.manifest.name}@${ref.manifest.version} refused: ${verified.error.kind}: ${verified.error.message}`,
    );
  }
  return verified.value;
}

/** Checks bytes against the signed manifest's size and sha256; throws `integrity`. */
export async function checkIntegrity(manifest: Manifest, bytes: ArrayBuffer): Promise<void> {
  if (bytes.byteLength !== manifest.sizeBytes) {
    throw new RuntimeError(
      'integrity',
      `artifact of ${manifest.name}@${manifest.version}: expected ${manifest.sizeBytes} bytes, got ${bytes.byteLength}`,
    );
  }
  const digest = await sha256Hex(bytes);
  if (digest !== manifest.sha256) {
    throw new RuntimeError(
      'integrity',
      `artifact of ${manifest.name}@${manifest.version}: expected sha256 ${manifest.sha256}, got ${digest}`,
    );
  }
}

/** Bytes written between two saves of a partial download (so a closed tab loses at most this much). */
const SAVE_EVERY_BYTES = 4 * 1024 * 1024;

/**
 * Downloads an artifact with the app key, reporting progress per chunk. With a `store`, an interrupted download
 * keeps its bytes in IndexedDB and the next call resumes it with `Range` (and `If-Range` on the ETag); a server
 * that answers 200 instead of 206 sends all of it again. The whole is checked against the signed size and sha256.
 */
export async function downloadArtifact(options: {
  url: string;
  key: string;
  manifest: Manifest;
  onProgress: (event: ProgressEvent) => void;
  store?: Store;
}): Promise<ArrayBuffer> {
  const { manifest, store } = options;
  const label = `${manifest.name}@${manifest.version}`;
  const total = manifest.sizeBytes;
  const partial = store ? await readPartial(store, manifest.sha256, total) : undefined;
  const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
  if (partial) {
    headers.range = `bytes=${partial.loadedBytes}-`;
    if (partial.etag) headers['if-range'] = partial.etag;
  }
  let response: Response;
  try {
    // IndexedDB is the model cache: the HTTP cache would keep a second copy and answer ranges on its own.
    response = await fetch(options.url, { headers, cache: 'no-store' });
  } catch (error) {
    throw new RuntimeError('network', `downloading ${label}: ${messageOf(error)}`);
  }
  if (response.status === 416 && partial && store) {
    // The kept bytes do not fit the artifact any more: start over.
    await clearPartial(store, manifest.sha256);
    return downloadArtifact(options);
  }
  if (response.status === 401 || response.status === 403)
    throw new RuntimeError('unauthorized', `downloading ${label}: HTTP ${response.status}`);
  if (!response.ok || !response.body)
    throw new RuntimeError('network', `downloading ${label}: HTTP ${response.status}`);
  const out = new Uint8Array(total);
  let loaded = 0;
  if (partial && response.status === 206) {
    const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]);
    if (start !== partial.loadedBytes)
      throw new RuntimeError(
        'network',
        `downloading ${label}: asked from byte ${partial.loadedBytes}, got ${start}`,
      );
    out.set(new Uint8Array(partial.bytes, 0, partial.loadedBytes), 0);
    loaded = partial.loadedBytes;
  }
  const etag = response.headers.get('etag') ?? undefined;
  const save = () =>
    store
      ? writePartial(store, {
          sha256: manifest.sha256,
          bytes: out,
          loadedBytes: loaded,
          ...(etag ? { etag } : {}),
        })
      : undefined;
  let savedAt = loaded;
  const reader = response.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (loaded > savedAt) await save();
      throw new RuntimeError(
        'network',
        `downloading ${label} interrupted at ${loaded} of ${total} bytes: ${messageOf(error)}`,
      );
    }
    if (chunk.done) break;
    const value = chunk.value;
    if (loaded + value.byteLength > total) {
      await reader.cancel();
      if (store) await clearPartial(store, manifest.sha256);
      throw new RuntimeError('integrity', `artifact of ${label} exceeds ${total} bytes`);
    }
    out.set(value, loaded);
    loaded += value.byteLength;
    if (loaded - savedAt >= SAVE_EVERY_BYTES && loaded < total) {
      await save();
      savedAt = loaded;
    }
    options.onProgress({
      name: manifest.name,
      version: manifest.version,
      loadedBytes: loaded,
      totalBytes: total,
      cached: false,
    });
  }
  if (loaded < total) {
    // The body ended early (a dropped connection can look like this): keep what came, resume next time.
    if (loaded > savedAt) await save();
    throw new RuntimeError('network', `downloading ${label}: the body ended at ${loaded} of ${total} bytes`);
  }
  const bytes = out.buffer.slice(0, loaded);
  try {
    await checkIntegrity(manifest, bytes);
  } catch (error) {
    // A short body may be resumed; bytes that are complete but wrong are never kept.
    if (store && loaded >= total) await clearPartial(store, manifest.sha256);
    throw error;
  }
  if (store) await clearPartial(store, manifest.sha256);
  return bytes;
}
