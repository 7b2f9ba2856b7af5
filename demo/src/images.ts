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
  /** Share of parts that reach the camera upside down (default 0.3). */
  flippedShare?: number;
  format?: 'png' | 'jpeg';
}

/** The true answer of the text-direction classifier for an image: the printed line's rotation. */
export type Orientation = '0' | '180';

/** An inspection image with what the generator knows about it (the ground truth an operator would give). */
export interface InspectionSample {
  bytes: Buffer;
  orientation: Orientation;
  text: string;
  /**
   * Printed only with glyphs that read the same upside down (S, O, X, Z, H, I, N, 0, 8, -): turned by 180° the
   * line is another plausible upright line, so no classifier can know its orientation — the cases that go to
   * review under partial automation.
   */
  ambiguous: boolean;
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

// What a label printer writes on parts: lot, batch and serial codes, dates, short words.
const WORDS = ['LOT', 'BATCH', 'SERIAL', 'QC PASS', 'EXP', 'LINE', 'M6x20', 'ZINC', 'Made in EU', 'Rev.'];
// Glyphs whose 180° rotation is a glyph of the same set (in DejaVu the pairs are close to exact).
const SYMMETRIC = [...'SOXZHIN08'];
/** Share of lines printed only with {@link SYMMETRIC} glyphs. */
export const AMBIGUOUS_SHARE = 0.08;
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

function printedText(random: () => number, ambiguous: boolean): string {
  if (ambiguous) {
    const word = () => Array.from({ length: 3 + Math.floor(random() * 3) }, () => pick(random, SYMMETRIC));
    return `${word().join('')}-${word().join('')}`;
  }
  const parts = [pick(random, WORDS), `${digits(random, 2)}-${digits(random, 4)}`];
  if (random() < 0.5) parts.push(`2026-${digits(random, 2)}`);
  return parts.join(' ');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * A text-line inspection crop with its ground truth: a printed code line (rendered with a real font through
 * SVG), dark on a light, slightly noisy label, upright or upside down, as the PaddleOCR direction classifier
 * sees it. `brightness` and `contrast` change the scene (drift); the orientation and text depend on the seed only.
 */
export async function inspectionSample(seed: number, options: SceneOptions = {}): Promise<InspectionSample> {
  const width = options.width ?? 192;
  const height = options.height ?? 48;
  const random = seededRandom(seed);
  const orientation: Orientation = random() < (options.flippedShare ?? 0.3) ? '180' : '0';
  const ambiguous = random() < AMBIGUOUS_SHARE;
  const text = printedText(random, ambiguous);
  const background = Math.round(190 + random() * 55);
  const ink = Math.round(20 + random() * 60);
  const textWidth = Math.round(width * (0.6 + random() * 0.35));
  const x = Math.round((width - textWidth) * random());
  const fontSize = Math.round(height * (0.55 + random() * 0.15));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<rect width="100%" height="100%" fill="rgb(${background},${background},${background})"/>
<text x="${x}" y="${Math.round(height / 2 + fontSize * 0.36)}" font-family="${pick(random, FONTS)}" font-size="${fontSize}"
 textLength="${textWidth}" lengthAdjust="spacingAndGlyphs" fill="rgb(${ink},${ink},${ink})">${escapeXml(text)}</text></svg>`;
  const rendered = await sharp(Buffer.from(svg))
    .rotate(orientation === '180' ? 180 : 0)
    .removeAlpha()
    .raw()
    .toBuffer();
  const brightness = options.brightness ?? 0;
  const contrast = options.contrast ?? 1;
  const pixels = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const base = rendered[p * 3]! + (random() - 0.5) * 12;
    const v = 128 + (base - 128) * contrast + brightness;
    pixels[p * 3] = clamp(v);
    pixels[p * 3 + 1] = clamp(v - 4);
    pixels[p * 3 + 2] = clamp(v + 3);
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  const bytes = await (options.format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png()).toBuffer();
  return { bytes, orientation, text, ambiguous };
}

/**
 * A PNG (or JPEG) text-line inspection image for `seed` (see {@link inspectionSample}).
 * @example await inspectionImage(7, { brightness: -80 }) // the same line under a failing lamp
 */
export async function inspectionImage(seed: number, options: SceneOptions = {}): Promise<Buffer> {
  return (await inspectionSample(seed, options)).bytes;
}
