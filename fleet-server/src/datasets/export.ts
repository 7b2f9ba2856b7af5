import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type Dataset,
  type DatasetManifest,
  type DatasetSample,
  datasetManifestSchema,
} from '@edgefleet/shared/api';
import type { SampleContentType } from '@edgefleet/shared/capture';
import type { ArtifactStore } from '../artifacts/store';
import { DatasetIncomplete, ExportTooLarge } from '../errors';
import { type TarSource, tarSizeBytes, tarStream } from '../tar/writer';

/** File name extension of a sample's content in an export. */
const EXTENSIONS: Record<SampleContentType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/octet-stream': 'bin',
};

/** Where a sample lies in an exported tar: `samples/<sha256>.<ext>`. */
export const samplePath = (sample: Pick<DatasetSample, 'sha256' | 'contentType'>): string =>
  `samples/${sample.sha256}.${EXTENSIONS[sample.contentType]}`;

/** The files of an export before the samples: `manifest.json` and `labels.jsonl`. */
export const MANIFEST_PATH = 'manifest.json';
export const LABELS_PATH = 'labels.jsonl';

/** An export ready to stream: its exact size and the stream to send. */
export interface PreparedExport {
  sizeBytes: number;
  manifest: DatasetManifest;
  stream(events: { onError: (error: unknown) => void; onEnd: () => void }): ReadableStream<Uint8Array>;
}

const MAX_LISTED = 20;

/**
 * Prepares a dataset's export before anything is sent: builds and validates `manifest.json` and `labels.jsonl`,
 * computes the tar's exact size (413 `export_too_large` over `maxBytes`) and checks that every sample's blob is
 * there with its size (409 `dataset_incomplete` otherwise). The stream then hashes each blob as it goes and fails
 * (never ends short) if one changed or vanished since: the archive's Content-Length is not met and the client
 * sees an error, not a shorter tar.
 */
export async function prepareExport(
  dataset: Dataset,
  samples: readonly DatasetSample[],
  blobs: ArtifactStore,
  options: { maxBytes: number; nowMs: number },
): Promise<PreparedExport> {
  const entries = samples.map((s) => ({ ...s, path: samplePath(s) }));
  const manifest = datasetManifestSchema.parse({
    ...dataset,
    v: 1,
    exportedAt: options.nowMs,
    samples: entries,
  } satisfies DatasetManifest);
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const labelsBytes = Buffer.from(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const sizeBytes = tarSizeBytes([
    manifestBytes.byteLength,
    labelsBytes.byteLength,
    ...entries.map((e) => e.sizeBytes),
  ]);
  if (sizeBytes > options.maxBytes) {
    throw new ExportTooLarge(
      `dataset ${dataset.id} exports to ${sizeBytes} bytes, over this server's --max-export-bytes ${options.maxBytes}; create a smaller dataset (--max-samples, a narrower filter)`,
      { field: 'maxExportBytes', sizeBytes, maxBytes: options.maxBytes },
    );
  }
  const missing: string[] = [];
  for (const entry of entries) {
    const size = await blobs.sizeOf(entry.sha256);
    if (size !== entry.sizeBytes) missing.push(entry.sha256);
  }
  if (missing.length > 0) {
    throw new DatasetIncomplete(
      `dataset ${dataset.id}: ${missing.length} of ${entries.length} samples are missing or damaged in the sample store; nothing was exported`,
      { field: 'samples', missing: missing.slice(0, MAX_LISTED), count: missing.length },
    );
  }
  const files: TarSource[] = [
    bufferFile(MANIFEST_PATH, manifestBytes),
    bufferFile(LABELS_PATH, labelsBytes),
    ...entries.map((e) => blobFile(blobs, e)),
  ];
  return {
    sizeBytes,
    manifest,
    stream: (events) => tarStream(files, { mtimeMs: dataset.createdAt, ...events }),
  };
}

function bufferFile(path: string, bytes: Uint8Array): TarSource {
  return {
    path,
    sizeBytes: bytes.byteLength,
    async *open() {
      yield bytes;
    },
  };
}

/** A sample's blob, hashed as it is read: a blob that no longer matches its sha256 fails the archive. */
function blobFile(blobs: ArtifactStore, entry: DatasetSample & { path: string }): TarSource {
  return {
    path: entry.path,
    sizeBytes: entry.sizeBytes,
    async *open() {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(blobs.pathOf(entry.sha256), { highWaterMark: 64 * 1024 })) {
        hash.update(chunk as Buffer);
        yield chunk as Buffer;
      }
      const got = hash.digest('hex');
      if (got !== entry.sha256) throw new Error(`sample ${entry.sha256} changed on disk (now ${got})`);
    },
  };
}
