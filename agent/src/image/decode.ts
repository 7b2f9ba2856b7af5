import type { RawImage } from '@edgefleet/shared';
import { AgentError } from '../errors';

/** Largest decoded image accepted by default (pixels): 16 Mpx is 64 MiB of RGBA. */
export const MAX_DECODED_PIXELS = 16_000_000;

/** Decoded bytes (RGBA) of images being decoded or run at once, by default: two images at the pixel limit. */
export const MAX_DECODE_BYTES = 2 * 4 * MAX_DECODED_PIXELS;

/**
 * Bytes of decoded images in flight across all requests. An image that would take the total past the bound is
 * refused (`busy`, 503: a retry later succeeds), so a burst of large images cannot take the agent's memory.
 */
export class DecodeBudget {
  inFlightBytes = 0;
  refused = 0;

  constructor(readonly maxBytes: number = MAX_DECODE_BYTES) {}

  /** Reserves `bytes`; the returned function gives them back (once). Throws AgentError `busy`. */
  reserve(bytes: number): () => void {
    if (this.inFlightBytes + bytes > this.maxBytes) {
      this.refused++;
      throw new AgentError(
        'busy',
        `decoding budget: ${this.inFlightBytes} bytes of images in flight + ${bytes} would pass the limit of ${this.maxBytes} (--max-decode-bytes); retry later`,
      );
    }
    this.inFlightBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlightBytes -= bytes;
    };
  }
}

/**
 * Reads only the header of PNG or JPEG bytes and checks the pixel bound before any pixel is decoded; reserves
 * the decoded size in `budget`. Returns the release function. Throws `unsupported_media`, `invalid_input`,
 * `too_large` (413, naming the limit) or `busy`.
 */
export async function admitImage(
  bytes: Uint8Array,
  maxPixels: number,
  budget: DecodeBudget,
): Promise<{ pixels: number; release: () => void }> {
  if (!sniffImage(bytes)) throw new AgentError('unsupported_media', 'expected PNG or JPEG bytes');
  const sharp = (await import('sharp')).default;
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (err) {
    throw new AgentError('invalid_input', `image header could not be read: ${(err as Error).message}`);
  }
  if (!width || !height) throw new AgentError('invalid_input', 'image header has no size');
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new AgentError(
      'too_large',
      `image is ${width}×${height} = ${pixels} pixels; the limit is ${maxPixels} pixels (--max-image-pixels)`,
    );
  }
  return { pixels, release: budget.reserve(pixels * 4) };
}

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
export async function decodeImage(bytes: Uint8Array, maxPixels = MAX_DECODED_PIXELS): Promise<RawImage> {
  if (!sniffImage(bytes)) throw new AgentError('unsupported_media', 'expected PNG or JPEG bytes');
  // Loaded on first use: a station that only sends tensors never pays sharp's memory.
  const sharp = (await import('sharp')).default;
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
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
      throw new AgentError('too_large', `image over the limit of ${maxPixels} pixels (--max-image-pixels)`);
    }
    throw new AgentError('invalid_input', `image could not be decoded: ${message}`);
  }
}
