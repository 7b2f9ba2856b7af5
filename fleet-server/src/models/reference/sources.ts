import { open } from 'node:fs/promises';
import { InvalidInput, PayloadTooLarge } from '../../errors';
import { type ByteSource, bufferSource, checkEntryPath, readTarEntries } from '../../tar/reader';
import { REFERENCE_LIMITS, type ReferenceFile, referenceFileKind } from './baseline';

const TAR_LIMITS = { maxEntries: REFERENCE_LIMITS.maxFiles, maxEntryBytes: REFERENCE_LIMITS.maxFileBytes };

/** A file on disk as a {@link ByteSource}; `close()` when done. */
export async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    sizeBytes: size,
    async read(offset, length) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** The files of a tar archive on disk (a `kind=reference` artifact). */
export async function* tarFileReference(path: string): AsyncGenerator<ReferenceFile> {
  const source = await fileSource(path);
  try {
    yield* readTarEntries(source, TAR_LIMITS);
  } finally {
    await source.close();
  }
}

/** Checks a tar archive's structure (headers, paths, types, sizes, extensions) without reading file contents. */
export async function checkReferenceArchive(path: string): Promise<number> {
  let files = 0;
  for await (const entry of tarFileReference(path)) {
    referenceFileKind(entry.path);
    files++;
  }
  if (files === 0) throw new InvalidInput('reference archive holds no files', { field: 'body' });
  return files;
}

/** Multipart file parts as reference files; a part named `*.tar` is expanded. */
export async function* multipartReference(parts: readonly File[]): AsyncGenerator<ReferenceFile> {
  for (const part of parts) {
    const path = part.name || 'unnamed';
    if (path.toLowerCase().endsWith('.tar')) {
      const bytes = new Uint8Array(await part.arrayBuffer());
      yield* readTarEntries(bufferSource(bytes), TAR_LIMITS);
      continue;
    }
    checkEntryPath(path);
    if (part.size > REFERENCE_LIMITS.maxFileBytes) {
      throw new PayloadTooLarge(
        `reference file '${path}' has ${part.size} bytes, at most ${REFERENCE_LIMITS.maxFileBytes}`,
        { field: 'reference', entry: path },
      );
    }
    yield { path, sizeBytes: part.size, read: async () => new Uint8Array(await part.arrayBuffer()) };
  }
}
