import sharp from 'sharp';

/** How a station's scene looks; the defaults are the scene the baseline's reference set was taken in. */
export interface SceneOptions {
  /** Image width in pixels (default 192, the cls model's input width). */
  width?: number;
  /** Image height in pixels (default 48). */
  height?: number;
  /** Added to every pixel before clamping: negative is a darker scene (a lamp failed), positive a brighter one. */
  brightness?: number;
  /** Multiplies each pixel's distance from mid-grey (1 = unchanged, 0.5 = washed out, 1.5 = harsher light). */
  contrast?: number;
  format?: 'png' | 'jpeg';
}

/** Deterministic PRNG (mulberry32) so that an image is a pure function of its seed and scene. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * Raw RGB pixels of a text-line inspection crop: dark strokes on a light, slightly noisy background, as the
 * PaddleOCR direction classifier sees them. `brightness` and `contrast` change the scene (drift).
 */
export function inspectionPixels(seed: number, options: SceneOptions = {}): Buffer {
  const width = options.width ?? 192;
  const height = options.height ?? 48;
  const brightness = options.brightness ?? 0;
  const contrast = options.contrast ?? 1;
  const random = seededRandom(seed);
  const background = 190 + random() * 55;
  const ink = 20 + random() * 60;
  const ink01 = new Uint8Array(width * height);
  const top = Math.floor(height * 0.2);
  const glyphHeight = Math.max(4, Math.floor(height * 0.55));
  for (let x = 4; x < width - 8; x += 6 + Math.floor(random() * 8)) {
    const w = 2 + Math.floor(random() * 3);
    const y0 = top + Math.floor(random() * (height * 0.12));
    const h = Math.floor(glyphHeight * (0.5 + random() * 0.5));
    for (let y = y0; y < Math.min(height, y0 + h); y++) ink01.fill(1, y * width + x, y * width + x + w);
  }
  const pixels = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const base = (ink01[p] ? ink : background) + (random() - 0.5) * 12;
    const v = 128 + (base - 128) * contrast + brightness;
    pixels[p * 3] = clamp(v);
    pixels[p * 3 + 1] = clamp(v - 4);
    pixels[p * 3 + 2] = clamp(v + 3);
  }
  return pixels;
}

/**
 * A PNG (or JPEG) text-line inspection image for `seed`.
 * @example await inspectionImage(7, { brightness: -80 }) // the same line under a failing lamp
 */
export async function inspectionImage(seed: number, options: SceneOptions = {}): Promise<Buffer> {
  const width = options.width ?? 192;
  const height = options.height ?? 48;
  const image = sharp(inspectionPixels(seed, options), { raw: { width, height, channels: 3 } });
  return options.format === 'jpeg' ? image.jpeg({ quality: 90 }).toBuffer() : image.png().toBuffer();
}
