import { bufferSource, readTarEntries, TAR_BLOCK, tarHeader } from '@edgefleet/fleet-server';

/** One regular file of a tar archive. */
export interface TarFile {
  path: string;
  bytes: Uint8Array;
}

/** A ustar archive of regular files (what `POST /api/v1/artifacts?kind=reference` takes), in memory. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const blocks: Uint8Array[] = [];
  const mtimeMs = Date.now();
  for (const file of files) {
    blocks.push(tarHeader(file.path, file.bytes.byteLength, mtimeMs), file.bytes);
    blocks.push(new Uint8Array((TAR_BLOCK - (file.bytes.byteLength % TAR_BLOCK)) % TAR_BLOCK));
  }
  blocks.push(new Uint8Array(2 * TAR_BLOCK));
  return Buffer.concat(blocks);
}

/**
 * The regular files of a tar archive (what `GET /api/v1/datasets/{id}/export` sends), read by the fleet server's
 * reader: a damaged header, a truncated entry, a link or an unsafe path throws.
 */
export async function readTar(archive: Uint8Array): Promise<TarFile[]> {
  const files: TarFile[] = [];
  const limits = { maxEntries: 200_000, maxEntryBytes: archive.byteLength, archive: 'dataset' };
  for await (const entry of readTarEntries(bufferSource(archive), limits))
    files.push({ path: entry.path, bytes: await entry.read() });
  return files;
}
