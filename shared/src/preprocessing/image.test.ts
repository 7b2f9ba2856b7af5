import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImagePreprocessing } from '../protocol/preprocessing';
import { toFloat16Bits } from './dtype';
import { imageTensorDims, preprocessImage, preprocessImages, type RawImage } from './image';
import { referencePreprocess } from './image.reference';

const spec = (over: Partial<ImagePreprocessing> = {}): ImagePreprocessing => ({
  kind: 'image',
  layout: 'NCHW',
  width: 8,
  height: 6,
  resize: 'stretch',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  dtype: 'float32',
  ...over,
});

function randomImage(width: number, height: number, channels: 1 | 3 | 4, seed: number): RawImage {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s & 0xff;
  }
  return { data, width, height, channels };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('preprocessImage', () => {
  it('copies pixels exactly when no resize is needed', () => {
    const img = randomImage(8, 6, 3, 7);
    const r = preprocessImage(img, spec({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: 'NHWC' }));
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(r.value.data)).toEqual(Array.from(img.data));
    expect(r.value.dims).toEqual([1, 6, 8, 3]);
  });

  it('matches the naive reference for every resize, order, layout and source channel count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom<1 | 3 | 4>(1, 3, 4),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom('stretch', 'letterbox', 'center_crop' as const),
        fc.constantFrom('RGB', 'BGR', 'GRAY' as const),
        fc.constantFrom('NCHW', 'NHWC' as const),
        fc.integer(),
        (w, h, ch, W, H, resize, order, layout, seed) => {
          const c = order === 'GRAY' ? 1 : 3;
          const s = spec({
            width: W,
            height: H,
            resize: resize as ImagePreprocessing['resize'],
            channelOrder: order as ImagePreprocessing['channelOrder'],
            layout: layout as ImagePreprocessing['layout'],
            mean: [0.485, 0.456, 0.406].slice(0, c),
            std: [0.229, 0.224, 0.225].slice(0, c),
          });
          const img = randomImage(w, h, ch, seed);
          const r = preprocessImage(img, s);
          if (!r.ok) throw new Error(r.error.message);
          expectClose(r.value.data, referencePreprocess(img, s), 1e-4);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pads letterbox bands with pixel value 0 and centres the image', () => {
    const img: RawImage = { data: new Uint8Array(4 * 2).fill(200), width: 4, height: 2, channels: 1 };
    const s = spec({
      width: 4,
      height: 4,
      resize: 'letterbox',
      channelOrder: 'GRAY',
      mean: [0],
      std: [1],
      scale: 1,
    });
    const r = preprocessImage(img, s);
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(r.value.data)).toEqual([
      0, 0, 0, 0, 200, 200, 200, 200, 200, 200, 200, 200, 0, 0, 0, 0,
    ]);
  });

  it('keeps the centre on center_crop', () => {
    // 6×2 image whose middle two columns are 255: cropping to 2×2 keeps only them.
    const data = new Uint8Array([0, 0, 255, 255, 0, 0, 0, 0, 255, 255, 0, 0]);
    const r = preprocessImage(
      { data, width: 6, height: 2, channels: 1 },
      spec({
        width: 2,
        height: 2,
        resize: 'center_crop',
        channelOrder: 'GRAY',
        mean: [0],
        std: [1],
        scale: 1,
      }),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(r.value.data)).toEqual([255, 255, 255, 255]);
  });

  it('reorders to BGR', () => {
    const img: RawImage = { data: new Uint8Array([10, 20, 30, 255]), width: 1, height: 1, channels: 4 };
    const r = preprocessImage(
      img,
      spec({ width: 1, height: 1, channelOrder: 'BGR', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(Array.from(r.value.data)).toEqual([30, 20, 10]);
  });

  it('converts to uint8, int8 and float16', () => {
    const img = randomImage(5, 5, 3, 3);
    const base = spec({ width: 3, height: 3, scale: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    const f = preprocessImage(img, base);
    const u = preprocessImage(img, { ...base, dtype: 'uint8' });
    const i8 = preprocessImage(img, { ...base, dtype: 'int8', mean: [128, 128, 128] });
    const h = preprocessImage(img, { ...base, dtype: 'float16' });
    if (!f.ok || !u.ok || !i8.ok || !h.ok) throw new Error('preprocess failed');
    expect(u.value.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u.value.data)).toEqual(Array.from(f.value.data, (v) => Math.round(v)));
    expect(Array.from(i8.value.data)).toEqual(
      Array.from(f.value.data, (v) => Math.max(-128, Math.min(127, Math.round(v - 128)))),
    );
    expect(h.value.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(h.value.data)).toEqual(Array.from(f.value.data, toFloat16Bits));
  });

  it('stacks a batch', () => {
    const a = randomImage(9, 4, 3, 1);
    const b = randomImage(3, 7, 3, 2);
    const s = spec();
    const r = preprocessImages([a, b], s);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.dims).toEqual(imageTensorDims(s, 2));
    expectClose(r.value.data, [...referencePreprocess(a, s), ...referencePreprocess(b, s)], 1e-4);
  });

  it('rejects malformed images with a message instead of throwing', () => {
    const s = spec();
    const bad = [
      { data: new Uint8Array(5), width: 2, height: 2, channels: 1 },
      { data: new Uint8Array(0), width: 0, height: 2, channels: 1 },
      { data: new Uint8Array(4), width: 2, height: 2, channels: 2 },
      { data: new Uint8Array(4), width: 1.5, height: 2, channels: 1 },
      { data: new Uint8Array(4), width: 1e9, height: 1e9, channels: 1 },
    ] as RawImage[];
    for (const img of bad) {
      const r = preprocessImage(img, s);
      expect(r.ok).toBe(false);
    }
    expect(preprocessImages([], s).ok).toBe(false);
  });
});

describe('toFloat16Bits', () => {
  it('encodes known values', () => {
    expect(toFloat16Bits(0)).toBe(0);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(1);
    expect(toFloat16Bits(0.333251953125)).toBe(0x3555);
  });
});
