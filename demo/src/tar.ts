/** One regular file of a tar archive. */
export interface TarFile {
  path: string;
  bytes: Uint8Array;
}

function header(path: string, size: number): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar path over 100 bytes: ${path}`);
  const block = Buffer.alloc(512);
  block.write(path, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write(
    `${Math.floor(Date.now() / 1000)
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
  return block;
}

/** A ustar archive of regular files (what `POST /api/v1/artifacts?kind=reference` takes). */
export function writeTar(files: readonly TarFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    blocks.push(header(file.path, file.bytes.byteLength), Buffer.from(file.bytes));
    blocks.push(Buffer.alloc((512 - (file.bytes.byteLength % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const octal = (block: Buffer, start: number, length: number): number => {
  const text = block
    .toString('latin1', start, start + length)
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]+$/.test(text))
    throw new Error(`tar header: expected an octal number, got '${text.slice(0, 16)}'`);
  return Number.parseInt(text, 8);
};

/**
 * The regular files of a ustar archive (what `GET /api/v1/datasets/{id}/export` sends), checking every header's
 * checksum; throws on a truncated or damaged archive. Directories and other entry kinds are skipped.
 */
export function readTar(archive: Uint8Array): TarFile[] {
  const tar = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const files: TarFile[] = [];
  let offset = 0;
  for (;;) {
    if (offset + 512 > tar.length) throw new Error('tar: truncated (no end marker)');
    const block = tar.subarray(offset, offset + 512);
    if (block.every((b) => b === 0)) return files;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (sum !== octal(block, 148, 8)) throw new Error(`tar: bad header checksum at byte ${offset}`);
    const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = block.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const size = octal(block, 124, 12);
    const type = String.fromCharCode(block[156]!);
    const start = offset + 512;
    if (start + size > tar.length) throw new Error(`tar: ${name} is truncated`);
    if (type === '0' || type === '\0') {
      files.push({ path: prefix ? `${prefix}/${name}` : name, bytes: tar.subarray(start, start + size) });
    }
    offset = start + Math.ceil(size / 512) * 512;
  }
}
