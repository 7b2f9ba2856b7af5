import { createHash } from 'node:crypto';
import type { SampleContentType } from '@edgefleet/shared/capture';
import sharp from 'sharp';
import { sniffImage } from '../image/decode';

/** The bytes a sample stores, what they are and their size in pixels. */
export interface SampleContent {
  bytes: Buffer;
  contentType: SampleContentType;
  sha256: string;
  width?: number;
  height?: number;
}

/**
 * The stored form of a captured image: the encoded bytes as received, or, with `maxSidePx`, a copy whose longer
 * side is at most that (aspect kept, same format; never enlarged). Runs on libuv's thread pool (sharp), off the
 * inference path. Throws for bytes that are neither PNG nor JPEG.
 */
export async function sampleContent(
  encoded: Uint8Array,
  size: { width: number; height: number } | undefined,
  maxSidePx: number | undefined,
): Promise<SampleContent> {
  const format = sniffImage(encoded);
  if (!format) throw new Error('expected PNG or JPEG bytes');
  const contentType = format === 'png' ? 'image/png' : 'image/jpeg';
  const longer = size ? Math.max(size.width, size.height) : Number.POSITIVE_INFINITY;
  if (maxSidePx === undefined || longer <= maxSidePx) {
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    return { bytes, contentType, sha256: sha256Hex(bytes), ...(size ?? {}) };
  }
  const resized = sharp(encoded, { limitInputPixels: false })
    .rotate()
    .resize({ width: maxSidePx, height: maxSidePx, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await (format === 'png' ? resized.png() : resized.jpeg({ quality: 90 })).toBuffer({
    resolveWithObject: true,
  });
  return { bytes: data, contentType, sha256: sha256Hex(data), width: info.width, height: info.height };
}

/**
 * The stored form of a captured tensor input: its raw little-endian bytes as the model got them (dtype and dims
 * are the model version's input signature; a free batch dim is the byte count over one item's), never resized.
 */
export function tensorSampleContent(bytes: Buffer): SampleContent {
  return { bytes, contentType: 'application/octet-stream', sha256: sha256Hex(bytes) };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
