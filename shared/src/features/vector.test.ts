import { describe, expect, it } from 'vitest';
import { MAX_VECTOR_FEATURES, vectorFeatureNames, vectorFeatures } from './vector';

describe('vectorFeatures', () => {
  it('names elements x[i] by default', () => {
    const r = vectorFeatures(new Float32Array([0.5, 2, Number.NaN]));
    expect(r.ok && r.value).toEqual({ 'x[0]': 0.5, 'x[1]': 2, 'x[2]': Number.NaN });
    expect(vectorFeatureNames(2)).toEqual(['x[0]', 'x[1]']);
  });

  it('uses the given names and writes into the given record', () => {
    const into = {};
    const r = vectorFeatures([1, 2], ['temperature', 'pressure'], into);
    expect(r.ok && r.value).toBe(into);
    expect(into).toEqual({ temperature: 1, pressure: 2 });
  });

  it('returns errors for a names/length mismatch and oversized input', () => {
    const short = vectorFeatures([1, 2], ['a']);
    expect(!short.ok && short.error.path).toBe('names');
    const big = vectorFeatures(new Float64Array(MAX_VECTOR_FEATURES + 1));
    expect(!big.ok && big.error.kind).toBe('too_large');
  });
});
