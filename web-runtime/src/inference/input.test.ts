import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors';
import { toInputTensor } from './input';

const spec = { kind: 'tensor' as const, dtype: 'float32' as const };

describe('toInputTensor', () => {
  it('passes tensors whose dims fit the declared ones (-1 is symbolic)', () => {
    const t = toInputTensor({ data: new Float32Array(6), dims: [2, 3] }, spec, [-1, 3]);
    expect(t.dims).toEqual([2, 3]);
    expect(t.image).toBe(false);
  });

  it('refuses a wrong shape or a data length that does not match the dims', () => {
    const wrong = () => toInputTensor({ data: new Float32Array(4), dims: [1, 4] }, spec, [-1, 3]);
    expect(wrong).toThrow(RuntimeError);
    expect(wrong).toThrow(/expected \[-1,3\], got \[1,4\]/);
    expect(() => toInputTensor({ data: new Float32Array(5), dims: [2, 3] }, spec, undefined)).toThrow(
      /hold 6 values but data has 5/,
    );
  });
});
