import { describe, expect, it } from 'vitest';
import { DeployFailure } from '../errors';
import { checkGolden, parseGolden } from './golden';

const pair = (outputs: number[]) => ({
  format: 'edgefleet.golden',
  v: 1,
  inputs: {
    x: {
      dtype: 'float32',
      dims: [2],
      base64: Buffer.from(new Float32Array([1, 2]).buffer).toString('base64'),
    },
  },
  outputs: { y: { dtype: 'float32', dims: [2], data: outputs } },
  tolerance: { abs: 0.01, rel: 0 },
});

describe('golden pairs', () => {
  it('decodes data and base64 tensors and checks within tolerance', () => {
    const g = parseGolden(pair([0.5, 0.25]));
    expect(Array.from(g.inputs.x!.data as Float32Array)).toEqual([1, 2]);
    expect(() =>
      checkGolden(g, { y: { data: new Float32Array([0.505, 0.25]), dims: [2], dtype: 'float32' } }),
    ).not.toThrow();
    expect(() =>
      checkGolden(g, { y: { data: new Float32Array([0.6, 0.25]), dims: [2], dtype: 'float32' } }),
    ).toThrow(/output y\[0\]: expected 0.5/);
    expect(() =>
      checkGolden(g, { z: { data: new Float32Array([0.5]), dims: [1], dtype: 'float32' } }),
    ).toThrow(DeployFailure);
  });
  it('rejects malformed files at the golden step', () => {
    expect(() => parseGolden({ ...pair([1]), format: 'other' })).toThrow(/golden file format/);
    expect(() => parseGolden(pair([1]))).toThrow(/need 2 values/);
    try {
      parseGolden({});
    } catch (err) {
      expect((err as DeployFailure).step).toBe('golden');
    }
  });
});
