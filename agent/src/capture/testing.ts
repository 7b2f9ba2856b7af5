// Test fixtures of the data capture: distinct real images and a seeded RNG.
import sharp from 'sharp';

/**
 * A distinct 192×48 PNG per `i` (text-like stripes of varying pitch and contrast, every other one turned 180°),
 * so the cls model answers with a spread of confidences and no two captures share a content hash.
 */
export async function variedPng(i: number): Promise<Uint8Array> {
  const width = 192;
  const height = 48;
  const raw = Buffer.alloc(width * height * 3);
  const pitch = 3 + (i % 11);
  const contrast = 40 + ((i * 37) % 200);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const stripe = Math.floor((x + (y >> 2) * (i % 3)) / pitch) % 2;
      const v = (128 - contrast / 2 + stripe * contrast + ((x * y + i) % 9)) & 0xff;
      raw.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return new Uint8Array(await (i % 2 ? img.rotate(180) : img).png().toBuffer());
}

/** A seeded uniform draw in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
