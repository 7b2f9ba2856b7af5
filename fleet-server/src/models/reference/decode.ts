import type { RawImage } from '@edgefleet/shared';
import sharp from 'sharp';
import { InvalidInput } from '../../errors';

/** Most source pixels one reference image may have (40 Mpx), checked by sharp before decoding. */
export const MAX_REFERENCE_IMAGE_PIXELS = 40_000_000;

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Decodes a PNG or JPEG into 8-bit interleaved pixels (alpha dropped; 16-bit reduced to 8) with sharp.
 * Anything else, a corrupt file or one over {@link MAX_REFERENCE_IMAGE_PIXELS} is InvalidInput naming it.
 * EXIF orientation is not applied: clients feed the pixels as stored, and so does the baseline.
 */
export async function decodeReferenceImage(bytes: Uint8Array, path: string): Promise<RawImage> {
  const details = { field: 'reference', entry: path };
  if (!isPng(bytes) && !isJpeg(bytes)) {
    throw new InvalidInput(`reference entry '${path}' is not a PNG or JPEG image`, details);
  }
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: MAX_REFERENCE_IMAGE_PIXELS,
      failOn: 'error',
    })
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) {
      throw new Error(`${info.channels} channels after dropping alpha`);
    }
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInput(`reference entry '${path}' could not be decoded: ${reason}`, details);
  }
}
