import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from '../result';
import { imageFeatures } from './image';

const bad = (r: Result<unknown>, path: string): void => {
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.path).toBe(path);
    expect(r.error.kind).toBe('invalid');
  }
};

describe('imageFeatures on malformed input', () => {
  const d = new Float32Array(12);
  it('returns errors instead of throwing', () => {
    bad(imageFeatures(d, [1, 3, 2, 3], 'NCHW'), 'dims'); // product 18 ≠ 12
    bad(imageFeatures(d, [1, 3, -2, -2], 'NCHW'), 'dims');
    bad(imageFeatures(d, [1, 3, 2, 2.5], 'NCHW'), 'dims');
    bad(imageFeatures(d, [1, 3, Number.NaN, 2], 'NCHW'), 'dims');
    bad(imageFeatures(new Float32Array(0), [1, 0, 2, 2], 'NCHW'), 'dims');
    bad(imageFeatures(new Float32Array(0), [0, 3, 2, 2], 'NCHW'), 'dims');
    bad(imageFeatures(d, [12], 'NCHW'), 'dims');
    bad(imageFeatures(d, [1, 1, 1, 3, 4], 'NCHW'), 'dims');
    bad(imageFeatures(d, [1, 3, 2, 2], 'CHWN' as 'NCHW'), 'layout');
    bad(imageFeatures(d, [1, 3, 2, 2], 'NCHW', { range: { min: 1, max: 1 } }), 'opts.range');
    bad(imageFeatures(d, [1, 3, 2, 2], 'NCHW', { range: { min: 0, max: Number.NaN } }), 'opts.range');
    bad(imageFeatures(d, [1, 3, 2, 2], 'NCHW', { lumaWeights: [1, 0] }), 'opts.lumaWeights');
    bad(imageFeatures(d, [1, 3, 2, 2], 'NCHW', { item: 1 }), 'opts.item');
    bad(imageFeatures([1, 2] as unknown as Float32Array, [1, 1, 1, 2], 'NCHW'), 'data');
    bad(imageFeatures(d, null as unknown as number[], 'NCHW'), 'dims');
    // NCHW data read as NHWC: 320 "channels" is a layout mistake, not 960 features.
    bad(imageFeatures(new Float32Array(3 * 320 * 320), [1, 3, 320, 320], 'NHWC'), 'dims');
  });

  it('never throws on arbitrary dims and lengths', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -3, max: 8 }), fc.double()), { maxLength: 5 }),
        fc.nat(64),
        fc.constantFrom('NCHW', 'NHWC', 'NCW'),
        (dims, len, layout) => {
          const r = imageFeatures(new Float32Array(len), dims, layout as 'NCHW');
          const product = dims.reduce((a, b) => a * b, 1);
          if (r.ok) expect(product).toBe(len);
        },
      ),
    );
  });
});
