import {
  type Manifest,
  type ManifestKeys,
  type ModelRef,
  sha256Hex,
  verifyManifest,
} from '@edgefleet/shared';
import { messageOf, RuntimeError } from '../errors';

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

/** Downloads an artifact with the app key, reporting progress per chunk. */
export async function downloadArtifact(options: {
  url: string;
  key: string;
  manifest: Manifest;
  onProgress: (event: ProgressEvent) => void;
}): Promise<ArrayBuffer> {
  const { manifest } = options;
  let response: Response;
  try {
    response = await fetch(options.url, { headers: { authorization: `Bearer ${options.key}` } });
  } catch (error) {
    throw new RuntimeError(
      'network',
      `downloading ${manifest.name}@${manifest.version}: ${messageOf(error)}`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new RuntimeError(
      'unauthorized',
      `downloading ${manifest.name}@${manifest.version}: HTTP ${response.status}`,
    );
  }
  if (!response.ok || !response.body) {
    throw new RuntimeError(
      'network',
      `downloading ${manifest.name}@${manifest.version}: HTTP ${response.status}`,
    );
  }
  const total = manifest.sizeBytes;
  const out = new Uint8Array(total);
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.byteLength > total) {
      await reader.cancel();
      throw new RuntimeError(
        'integrity',
        `artifact of ${manifest.name}@${manifest.version} exceeds ${total} bytes`,
      );
    }
    out.set(value, loaded);
    loaded += value.byteLength;
    options.onProgress({
      name: manifest.name,
      version: manifest.version,
      loadedBytes: loaded,
      totalBytes: total,
      cached: false,
    });
  }
  const bytes = out.buffer.slice(0, loaded);
  await checkIntegrity(manifest, bytes);
  return bytes;
}
