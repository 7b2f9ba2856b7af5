import { InvalidInput, PayloadTooLarge } from '../errors';

/** Random access to the bytes of an archive (a file on disk or a buffer). */
export interface ByteSource {
  sizeBytes: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A buffer as a {@link ByteSource}. */
export const bufferSource = (bytes: Uint8Array): ByteSource => ({
  sizeBytes: bytes.byteLength,
  read: async (offset, length) => bytes.subarray(offset, offset + length),
});

/** A regular file of an archive; `read()` loads its bytes (at most the caller's entry limit). */
export interface TarEntry {
  path: string;
  sizeBytes: number;
  read(): Promise<Uint8Array>;
}

/** Limits of {@link readTarEntries}. */
export interface TarLimits {
  maxEntries: number;
  maxEntryBytes: number;
  /** What the archive is, in error messages and `details.field` (default `reference`). */
  archive?: string;
}

const BLOCK = 512;
const decoder = new TextDecoder('utf-8', { fatal: false });

const cString = (block: Uint8Array, start: number, length: number): string => {
  const end = block.indexOf(0, start);
  return decoder.decode(block.subarray(start, end === -1 || end > start + length ? start + length : end));
};

const octal = (block: Uint8Array, start: number, length: number): number => {
  if ((block[start]! & 0x80) !== 0) return Number.POSITIVE_INFINITY; // base-256: > 8 GiB
  const text = cString(block, start, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
};

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === octal(block, 148, 8);
}

/** Refuses paths that would escape a directory if anyone ever extracted them, or that are not plain names. */
export function checkEntryPath(path: string, archive = 'reference'): void {
  const unsafe =
    path === '' ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    path.split('/').some((segment) => segment === '..') ||
    path.length > 1024;
  if (unsafe) {
    throw new InvalidInput(
      `${archive} entry '${path.slice(0, 200)}': unsafe path (absolute, '..' or backslash)`,
      {
        field: archive,
        entry: path.slice(0, 200),
      },
    );
  }
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
};

function paxPath(bytes: Uint8Array): string | undefined {
  const text = decoder.decode(bytes);
  let path: string | undefined;
  for (const record of text.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) path = match[1];
  }
  return path;
}

/**
 * The regular files of a POSIX (ustar, pax or GNU) tar archive, in order, read lazily. Directories and
 * global pax headers are skipped; links, devices and FIFOs, unsafe paths, bad checksums, truncated
 * entries and more than `maxEntries` files are InvalidInput; an entry over `maxEntryBytes` is
 * PayloadTooLarge, found from its header before any of its bytes are read.
 */
export async function* readTarEntries(source: ByteSource, limits: TarLimits): AsyncGenerator<TarEntry> {
  let offset = 0;
  let count = 0;
  let longPath: string | undefined;
  const archive = limits.archive ?? 'reference';
  const bad = (message: string): InvalidInput =>
    new InvalidInput(`${archive} archive: ${message}`, { field: archive, offset });
  while (offset + BLOCK <= source.sizeBytes) {
    const header = await source.read(offset, BLOCK);
    if (header.every((b) => b === 0)) return;
    if (!checksumOk(header)) throw bad('not a tar archive (header checksum mismatch)');
    const isUstar = cString(header, 257, 6).startsWith('ustar');
    const name = cString(header, 0, 100);
    const prefix = isUstar ? cString(header, 345, 155) : '';
    const path = longPath ?? (prefix ? `${prefix}/${name}` : name);
    longPath = undefined;
    const sizeBytes = octal(header, 124, 12);
    const type = String.fromCharCode(header[156]!);
    const dataOffset = offset + BLOCK;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new PayloadTooLarge(`${archive} entry '${path}' is too large`, {
        field: archive,
        entry: path,
      });
    }
    const regular = type === '0' || type === '\0' || type === '7';
    if (regular && sizeBytes > limits.maxEntryBytes) {
      throw new PayloadTooLarge(
        `${archive} entry '${path}' has ${sizeBytes} bytes, at most ${limits.maxEntryBytes}`,
        { field: archive, entry: path, maxBytes: limits.maxEntryBytes },
      );
    }
    if (dataOffset + sizeBytes > source.sizeBytes) throw bad(`entry '${path}' is truncated`);
    offset = dataOffset + Math.ceil(sizeBytes / BLOCK) * BLOCK;
    if (type === 'L' || type === 'x') {
      if (sizeBytes > 64 * 1024) throw bad(`oversized ${type === 'L' ? 'long name' : 'pax'} header`);
      const data = await source.read(dataOffset, sizeBytes);
      longPath = type === 'L' ? cString(data, 0, sizeBytes) : paxPath(data);
      continue;
    }
    if (type === 'g' || type === '5') continue;
    const kind = TYPE_NAMES[type];
    if (kind) throw bad(`entry '${path}' is a ${kind}; only regular files are accepted`);
    if (!regular) throw bad(`entry '${path}' has unknown type '${type}'`);
    checkEntryPath(path, archive);
    if (++count > limits.maxEntries) throw bad(`more than ${limits.maxEntries} files`);
    yield { path, sizeBytes, read: () => source.read(dataOffset, sizeBytes) };
  }
  if (offset === 0) throw bad('empty archive');
}
