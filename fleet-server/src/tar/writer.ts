// A streaming ustar writer: files go out one chunk at a time as the reader pulls, so an archive of any size
// costs one chunk of memory. Sizes are known up front (a tar header carries them), so the archive's length is
// too: `tarSizeBytes` is the exact Content-Length of `tarStream`.

/** Size of a tar block: headers, padding and the end marker come in these. */
export const TAR_BLOCK = 512;

/** One regular file of a streamed archive. */
export interface TarSource {
  /** Path in the archive, at most 100 bytes (the ustar name field). */
  path: string;
  sizeBytes: number;
  /** The file's bytes in chunks: exactly `sizeBytes` of them, or the archive fails there. */
  open(): AsyncIterable<Uint8Array>;
}

/** Bytes one file takes in an archive: its header and its content padded to a block. */
export const tarEntryBytes = (sizeBytes: number): number =>
  TAR_BLOCK + Math.ceil(sizeBytes / TAR_BLOCK) * TAR_BLOCK;

/** Exact size of an archive of files of these sizes (with the two-block end marker). */
export function tarSizeBytes(sizes: Iterable<number>): number {
  let total = 2 * TAR_BLOCK;
  for (const size of sizes) total += tarEntryBytes(size);
  return total;
}

const MAX_OCTAL_11 = 8 ** 11 - 1;

/** The ustar header of a regular file (mode 0644, owner 0). */
export function tarHeader(path: string, sizeBytes: number, mtimeMs: number): Uint8Array {
  if (path === '' || Buffer.byteLength(path) > 100)
    throw new Error(`tar path empty or over 100 bytes: ${path}`);
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > MAX_OCTAL_11)
    throw new Error(`tar entry ${path}: size ${sizeBytes} out of range`);
  const block = Buffer.alloc(TAR_BLOCK);
  block.write(path, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${sizeBytes.toString(8).padStart(11, '0')}\0`, 124);
  block.write(
    `${Math.max(0, Math.floor(mtimeMs / 1000))
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  block.write('0', 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return new Uint8Array(block.buffer, block.byteOffset, TAR_BLOCK);
}

async function* tarChunks(
  files: Iterable<TarSource> | AsyncIterable<TarSource>,
  mtimeMs: number,
): AsyncGenerator<Uint8Array> {
  for await (const file of files) {
    yield tarHeader(file.path, file.sizeBytes, mtimeMs);
    let written = 0;
    for await (const chunk of file.open()) {
      written += chunk.byteLength;
      if (written > file.sizeBytes)
        throw new Error(`tar entry ${file.path}: more than ${file.sizeBytes} bytes`);
      if (chunk.byteLength > 0) yield chunk;
    }
    if (written !== file.sizeBytes)
      throw new Error(`tar entry ${file.path}: ${written} bytes, its header says ${file.sizeBytes}`);
    const pad = (TAR_BLOCK - (written % TAR_BLOCK)) % TAR_BLOCK;
    if (pad > 0) yield new Uint8Array(pad);
  }
  yield new Uint8Array(2 * TAR_BLOCK);
}

/**
 * A ustar archive of `files`, produced as it is read (pull-based: a slow reader slows the file reads). A file that
 * fails to read, or brings more or fewer bytes than its size, errors the stream there: the archive is never
 * silently short. `onError` sees that error, `onEnd` the end of a complete archive (e.g. to count them).
 * @example c.body(tarStream([{ path: 'a.txt', sizeBytes: 2, open: async function* () { yield bytes } }]))
 */
export function tarStream(
  files: Iterable<TarSource> | AsyncIterable<TarSource>,
  options: { mtimeMs: number; onError?: (error: unknown) => void; onEnd?: () => void },
): ReadableStream<Uint8Array> {
  const chunks = tarChunks(files, options.mtimeMs);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          controller.close();
          options.onEnd?.();
        } else controller.enqueue(next.value);
      } catch (error) {
        options.onError?.(error);
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
