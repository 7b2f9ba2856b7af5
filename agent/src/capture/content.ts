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

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
