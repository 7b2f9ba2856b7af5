import { type GoldenPairJson, preprocessImage } from '@edgefleet/shared';
import { CLS_PREPROCESSING } from './harness';

export { CLS_PREPROCESSING };

import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { prng } from '../telemetry/fixtures';
import { CLS_MODEL_PATH } from './harness';

/** One tar entry for {@link writeTar}; `type` and `declaredSize` let tests forge hostile headers. */
export interface TarInput {
  path: string;
  bytes?: Uint8Array;
  type?: '0' | '1' | '2' | '5' | '3';
  declaredSize?: number;
  linkName?: string;
}

/** A ustar archive of `entries` (for tests; long paths go in the ustar prefix field). */
export function writeTar(entries: readonly TarInput[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const bytes = entry.bytes ?? new Uint8Array(0);
    const header = Buffer.alloc(512);
    const path = entry.path;
    const cut = path.length > 100 ? path.lastIndexOf('/', path.length - 1 - 0) : -1;
    header.write(cut > 0 ? path.slice(cut + 1) : path, 0, 100, 'utf8');
    if (cut > 0) header.write(path.slice(0, cut), 345, 155, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${(entry.declaredSize ?? bytes.byteLength).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write(entry.type ?? '0', 156);
    if (entry.linkName) header.write(entry.linkName, 157, 100);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, Buffer.from(bytes));
    const pad = (512 - (bytes.byteLength % 512)) % 512;
    blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * A text-line-like image (dark strokes on a light background) of `width`×`height`, PNG or JPEG;
 * `brightness` shifts every pixel (negative: a darker scene, for drift).
 */
export async function textLineImage(
  seed: number,
  options: { width?: number; height?: number; brightness?: number; format?: 'png' | 'jpeg' } = {},
): Promise<Buffer> {
  const width = options.width ?? 160;
  const height = options.height ?? 40;
  const random = prng(seed);
  const pixels = Buffer.alloc(width * height * 3);
  const background = 200 + random() * 50;
  const ink = 20 + random() * 60;
  const strokes: [number, number, number, number][] = [];
  for (let x = 4; x < width - 8; x += 6 + Math.floor(random() * 8)) {
    strokes.push([
      x,
      8 + Math.floor(random() * 6),
      2 + Math.floor(random() * 3),
      14 + Math.floor(random() * 14),
    ]);
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inStroke = strokes.some(([sx, sy, w, h]) => x >= sx && x < sx + w && y >= sy && y < sy + h);
      const base = (inStroke ? ink : background) + (random() - 0.5) * 12 + (options.brightness ?? 0);
      const v = Math.max(0, Math.min(255, Math.round(base)));
      const i = (y * width + x) * 3;
      pixels[i] = v;
      pixels[i + 1] = Math.max(0, Math.min(255, v - 4));
      pixels[i + 2] = Math.max(0, Math.min(255, v + 3));
    }
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return options.format === 'jpeg' ? image.jpeg({ quality: 90 }).toBuffer() : image.png().toBuffer();
}

/** Bytes as a fetch body or Blob part (a copy backed by a plain ArrayBuffer). */
export const asBody = (bytes: Uint8Array | string): Uint8Array<ArrayBuffer> =>
  typeof bytes === 'string' ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);

/** A `.npy` (format 1.0, little-endian float32, C order) of `data` shaped `dims`. */
export function toNpy(data: Float32Array, dims: readonly number[]): Buffer {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64);
  header += '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    prefix,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

/** A golden pair of the cls model made the way `model push` would: a real image, preprocessed, run by onnxruntime. */
export async function makeClsGolden(seed: number): Promise<GoldenPairJson> {
  const { data, info } = await sharp(await textLineImage(seed))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input = preprocessImage(
    { data, width: info.width, height: info.height, channels: 3 },
    CLS_PREPROCESSING,
  );
  if (!input.ok) throw new Error(input.error.message);
  const session = await InferenceSession.create(CLS_MODEL_PATH, { intraOpNumThreads: 1 });
  const x = input.value.data as Float32Array;
  const out = (await session.run({ x: new Tensor('float32', x, input.value.dims) }))[
    'softmax_0.tmp_0'
  ] as Tensor;
  await session.release();
  return {
    format: 'edgefleet.golden',
    v: 1,
    inputs: {
      x: {
        dtype: 'float32',
        dims: input.value.dims,
        base64: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64'),
      },
    },
    outputs: {
      'softmax_0.tmp_0': { dtype: 'float32', dims: [...out.dims], data: [...(out.data as Float32Array)] },
    },
    tolerance: { abs: 1e-4, rel: 1e-3 },
  };
}
