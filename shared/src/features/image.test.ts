import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageLayout } from './dims';
import { BT601_RGB, type ImageFeatures, imageFeatures } from './image';
import { referenceImageFeatures } from './image.reference';
import { imageFeatureNames } from './names';

type Dims4 = [number, number, number, number];

const defaultWeights = (c: number): number[] =>
  c >= 3 ? [...BT601_RGB, ...Array(c - 3).fill(0)] : Array(c).fill(1 / c);

/** Relative-or-absolute closeness; NaN only matches NaN. Std-like features get an absolute floor:
 * the square root turns ~1e-18 of rounding in a near-zero variance into ~1e-9. */
function expectClose(actual: ImageFeatures, expected: ImageFeatures, scale = 1): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k]!;
    if (Number.isNaN(e)) {
      expect(a, k).toBeNaN();
      continue;
    }
    const floor = /std|contrast/.test(k) ? 1e-9 * scale : /sharpness/.test(k) ? 1e-9 * scale * scale : 1e-12;
    expect(Math.abs(a - e), `${k}: ${a} vs ${e}`).toBeLessThanOrEqual(Math.max(floor, 1e-9 * Math.abs(e)));
  }
}

function toNhwc(d: Float32Array, [n, c, h, w]: Dims4): Float32Array {
  const out = new Float32Array(d.length);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((i * h + y) * w + x) * c + k] = d[((i * c + k) * h + y) * w + x]!;
  return out;
}

const special = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
const shape = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  c: fc.constantFrom(1, 1, 2, 3, 3, 3, 4),
  h: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 60, max: 140 })),
  w: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 60, max: 140 })),
  layout: fc.constantFrom<ImageLayout>('NCHW', 'NHWC'),
});
/** A tensor with values in [-2, 2] (quantised to float32) and optionally a few NaN/±Inf. */
const tensor = shape.chain((s) => {
  const len = s.n * s.c * s.h * s.w;
  return fc.record({
    s: fc.constant(s),
    seed: fc.integer(),
    specials: fc.array(fc.tuple(fc.nat(len - 1), special), { maxLength: 3 }),
    item: fc.option(fc.nat(s.n - 1), { nil: undefined }),
  });
});

function fill(len: number, seed: number): Float32Array {
  const d = new Float32Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    d[i] = ((x >>> 0) / 4294967296) * 4 - 2;
  }
  return d;
}

describe('imageFeatures', () => {
  it('matches the naive reference on random tensors (NaN/±Inf, batches, items, both layouts)', () => {
    fc.assert(
      fc.property(tensor, ({ s, seed, specials, item }) => {
        const data = fill(s.n * s.c * s.h * s.w, seed);
        for (const [i, v] of specials) data[i] = v;
        const dims: Dims4 = s.layout === 'NCHW' ? [s.n, s.c, s.h, s.w] : [s.n, s.h, s.w, s.c];
        const range = { min: -1, max: 1 };
        const r = imageFeatures(data, dims, s.layout, { range, item });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expectClose(
          r.value,
          referenceImageFeatures(data, dims, s.layout, { range, weights: defaultWeights(s.c), item }),
          2,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same features for the same image in NCHW and NHWC', () => {
    fc.assert(
      fc.property(tensor, ({ s, seed, specials }) => {
        const dims: Dims4 = [s.n, s.c, s.h, s.w];
        const nchw = fill(s.n * s.c * s.h * s.w, seed);
        for (const [i, v] of specials) nchw[i] = v;
        const a = imageFeatures(nchw, dims, 'NCHW');
        const b = imageFeatures(toNhwc(nchw, dims), [s.n, s.h, s.w, s.c], 'NHWC');
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) expectClose(b.value, a.value, 2);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same features for uint8 and for the same values as float32 over 0..255', () => {
    fc.assert(
      fc.property(shape, fc.integer(), (s, seed) => {
        const u8 = Uint8Array.from(fill(s.n * s.c * s.h * s.w, seed), (v) => Math.floor((v + 2) * 64));
        const dims: Dims4 = s.layout === 'NCHW' ? [s.n, s.c, s.h, s.w] : [s.n, s.h, s.w, s.c];
        const a = imageFeatures(u8, dims, s.layout);
        const b = imageFeatures(Float32Array.from(u8), dims, s.layout, { range: { min: 0, max: 255 } });
        expect(a.ok && b.ok).toBe(true);
        if (a.ok && b.ok) expectClose(a.value, b.value, 255);
      }),
      { numRuns: 60 },
    );
  });

  it('returns the names of imageFeatureNames, in order', () => {
    for (const c of [1, 2, 3, 4]) {
      const r = imageFeatures(new Float32Array(c * 6), [1, c, 2, 3], 'NCHW');
      expect(r.ok && Object.keys(r.value)).toEqual(imageFeatureNames(c));
    }
    expect(imageFeatureNames(3).slice(0, 4)).toEqual(['ch0.mean', 'ch0.std', 'ch0.rel', 'ch1.mean']);
    expect(imageFeatureNames(1)).toHaveLength(3 + 8);
    expect(imageFeatureNames(0)).toEqual(imageFeatureNames(-2));
    expect(imageFeatureNames(0)).toHaveLength(8);
  });

  it('computes known values on small images', () => {
    // 1×1: a single pixel has no spread and a flat Laplacian.
    const one = imageFeatures(new Float32Array([0.2, 0.4, 0.6]), [1, 3, 1, 1], 'NCHW');
    expect(one.ok && one.value).toMatchObject({
      'ch0.mean': Math.fround(0.2),
      'ch0.std': 0,
      sharpness: 0,
      contrast: 0,
      clipped: 0,
    });
    expect(one.ok && one.value.brightness).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 7);
    expect(one.ok && one.value['ch2.rel']).toBeCloseTo(0.6 / 0.4, 6);
    // 2×3 one channel, replicated borders: Laplacian by hand.
    const img = [0, 1, 0, 0, 0, 0];
    const r = imageFeatures(new Float32Array(img), [1, 1, 2, 3], 'NCHW');
    // (0,0): up 0 (replicated) + down 0 + left 0 (replicated) + right 1 − 0 = 1; (0,1): up 1
    // (replicated) + 0 + 0 + 0 − 4 = −3; (0,2): 1; (1,0): 0; (1,1): up 1 → 1; (1,2): 0.
    const laps = [1, -3, 1, 0, 1, 0];
    const mean = laps.reduce((a, b) => a + b) / 6;
    const variance = laps.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
    expect(r.ok && r.value.sharpness).toBeCloseTo(variance, 12);
    expect(r.ok && r.value.clipped).toBeCloseTo(6 / 6, 12); // every value is 0 or 1: all at the range ends
    expect(r.ok && r.value.brightness).toBeCloseTo(1 / 6, 12);
    expect(r.ok && r.value.contrast).toBeCloseTo(Math.sqrt(1 / 6 - 1 / 36), 12);
  });

  it('counts white and black uint8 pixels as clipped despite rounding of the BT.601 weights', () => {
    const white = new Uint8Array(3 * 16).fill(255);
    const grey = new Uint8Array(3 * 16).fill(128);
    // 0.299 + 0.587 + 0.114 sums to 0.9999999999999999 in float64: float white must still count.
    const fw = imageFeatures(new Float32Array(3 * 16).fill(1), [1, 3, 4, 4], 'NCHW');
    expect(fw.ok && fw.value.clipped).toBe(1);
    const w = imageFeatures(white, [1, 4, 4, 3], 'NHWC');
    expect(w.ok && w.value.clipped).toBe(1);
    expect(w.ok && w.value['ch1.rel']).toBe(1);
    const g = imageFeatures(grey, [1, 4, 4, 3], 'NHWC');
    expect(g.ok && g.value).toMatchObject({ clipped: 0, contrast: 0, sharpness: 0, min: 128, max: 128 });
    const b = imageFeatures(new Uint8Array(3 * 16), [1, 3, 4, 4], 'NCHW');
    expect(b.ok && b.value).toMatchObject({ clipped: 1, 'ch0.rel': 1, brightness: 0 });
  });

  it('downsamples large images to at most 64×64 and counts NaN / Inf', () => {
    const data = fill(3 * 320 * 320, 5);
    data[7] = Number.NaN;
    data[320 * 320 + 9] = Number.POSITIVE_INFINITY;
    data[2 * 320 * 320] = Number.NEGATIVE_INFINITY;
    const dims: Dims4 = [1, 3, 320, 320];
    const r = imageFeatures(data, dims, 'NCHW', { range: { min: -2, max: 2 } });
    expect(r.ok && r.value).toMatchObject({ nan: 1, inf: 2 });
    if (r.ok) {
      const ref = referenceImageFeatures(data, dims, 'NCHW', {
        range: { min: -2, max: 2 },
        weights: BT601_RGB,
      });
      expectClose(r.value, ref, 2);
      expect(Number.isFinite(r.value.max)).toBe(true);
    }
  });

  it('gives std, contrast and sharpness exactly 0 on constant images (fast and checked paths)', () => {
    for (const v of [0.2, 0.7, 123.456, -0.45]) {
      for (const c of [1, 2, 3]) {
        const d = new Float32Array(c * 320 * 320).fill(v);
        const withNan = d.slice();
        withNan[withNan.length - 1] = Number.NaN;
        for (const data of [d, withNan]) {
          const r = imageFeatures(data, [1, c, 320, 320], 'NCHW', { range: { min: -1000, max: 1000 } });
          expect(r.ok && [r.value['ch0.std'], r.value.contrast, r.value.sharpness], `${v} ${c}`).toEqual([
            0, 0, 0,
          ]);
          expect(r.ok && r.value['ch0.mean']).toBe(Math.fround(v));
        }
      }
    }
  });

  it('gives NaN for features without any finite input', () => {
    const r = imageFeatures(new Float32Array([Number.NaN, Number.NaN]), [1, 1, 1, 2], 'NCHW');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.nan).toBe(2);
      for (const k of [
        'ch0.mean',
        'ch0.std',
        'ch0.rel',
        'brightness',
        'sharpness',
        'clipped',
        'min',
        'max',
      ]) {
        expect(r.value[k], k).toBeNaN();
      }
    }
  });

  it('writes into and returns opts.into', () => {
    const into: ImageFeatures = {};
    const r = imageFeatures(new Float32Array(12), [3, 2, 2], 'NCHW', { into });
    expect(r.ok && r.value).toBe(into);
    expect(into['ch2.mean']).toBe(0);
  });

  it('accepts 3-D dims as a single image', () => {
    const d = fill(3 * 5 * 7, 1);
    const a = imageFeatures(d, [3, 5, 7], 'NCHW');
    const b = imageFeatures(d, [1, 3, 5, 7], 'NCHW');
    expect(a).toEqual(b);
  });

  it('uses the given luma weights (e.g. BGR)', () => {
    const d = new Float32Array([1, 0, 0, 0]); // one RGBA-like pixel
    const r = imageFeatures(d, [1, 1, 1, 4], 'NHWC', { lumaWeights: [0.5, 0.5, 0, 0] });
    expect(r.ok && r.value.brightness).toBe(0.5);
  });
});
