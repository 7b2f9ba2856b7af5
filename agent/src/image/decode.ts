import type { RawImage } from '@edgefleet/shared';
import { AgentError } from '../errors';

/** Largest decoded image accepted (pixels), so a small "decompression bomb" cannot exhaust memory. */
export const MAX_DECODED_PIXELS = 40_000_000;

/** Media types {@link decodeImage} takes. */
export const IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'application/octet-stream'] as const;

/** Whether bytes start like a PNG or a JPEG. */
export function sniffImage(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Decodes PNG or JPEG bytes to 8-bit sRGB RGBA pixels with sharp (EXIF orientation applied).
 * Resizing is not done here: the shared preprocessing does it, so every client resizes the same way.
 * Throws {@link AgentError} `invalid_input` / `unsupported_media` / `too_large`.
 */
export async function decodeImage(bytes: Uint8Array): Promise<RawImage> {
  if (!sniffImage(bytes)) throw new AgentError('unsupported_media', 'expected PNG or JPEG bytes');
  // Loaded on first use: a station that only sends tensors never pays sharp's memory.
  const sharp = (await import('sharp')).default;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_DECODED_PIXELS, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoder gave ${info.channels} channels`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: 4,
    };
  } catch (err) {
    const message = (err as Error).message;
    if (/pixel limit/i.test(message)) {
      throw new AgentError('too_large', `image over ${MAX_DECODED_PIXELS} pixels`);
    }
    throw new AgentError('invalid_input', `image could not be decoded: ${message}`);
  }
}
