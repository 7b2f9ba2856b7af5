import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFloat16Bits } from '../preprocessing/dtype';
import { checkGoldenOutputs, firstMismatch, goldenPairMisfit } from './compare';
import type { GoldenPair } from './pair';

const f32 = (...values: number[]) => ({
  dtype: 'float32',
  dims: [values.length],
  data: new Float32Array(values),
});
const golden = (values: number[], tolerance = { abs: 0.01, rel: 0 }): GoldenPair => ({
  inputs: { x: { dtype: 'float32', dims: [1], data: new Float32Array([1]) } },
  outputs: { y: { dtype: 'float32', dims: [values.length], data: new Float32Array(values) } },
  tolerance,
});

describe('checkGoldenOutputs', () => {
  it('passes outputs within abs + rel·|expected|, and ignores outputs the pair does not name', () => {
    expect(checkGoldenOutputs(golden([0.5, 0.25]), { y: f32(0.505, 0.25), z: f32(9) })).toBeNull();
    expect(checkGoldenOutputs(golden([100], { abs: 0, rel: 0.01 }), { y: f32(100.9) })).toBeNull();
    expect(checkGoldenOutputs(golden([Number.NaN]), { y: f32(Number.NaN) })).toBeNull();
  });

  it('names the output, element index, expected and got value of the first miss', () => {
    const miss = checkGoldenOutputs(golden([0.5, 0.25]), { y: f32(0.6, 0.25) });
    expect(miss).toMatchObject({ output: 'y', index: 0, expected: 0.5, reason: 'outside tolerance' });
    expect(miss?.got).toBeCloseTo(0.6, 6);
    expect(miss?.message).toMatch(
      /^output y\[0\]: expected 0.5, got 0.6\d* \(tolerance abs 0.01 \+ rel 0\)$/,
    );
    expect(checkGoldenOutputs(golden([0.98, 0.02]), { y: f32(0.02, 0.98) })?.index).toBe(0);
    expect(checkGoldenOutputs(golden([1, 2, 3]), { y: f32(1, 2, 3.5) })?.index).toBe(2);
  });

  it('misses an output the model lacks, one of other dims, NaN against a number and a number against NaN', () => {
    expect(checkGoldenOutputs(golden([0.5]), { z: f32(0.5) })).toMatchObject({
      output: 'y',
      index: -1,
      message: 'expected output y, the model has none',
    });
    expect(checkGoldenOutputs(golden([0.5]), { y: { ...f32(0.5), dims: [1, 1] } })?.message).toBe(
      'output y: expected dims [1] (1 elements), got [1,1] (1)',
    );
    expect(checkGoldenOutputs(golden([0.5]), { y: { dims: [1], data: [] } })?.index).toBe(-1);
    expect(checkGoldenOutputs(golden([0.5]), { y: f32(Number.NaN) })?.index).toBe(0);
    expect(checkGoldenOutputs(golden([Number.NaN]), { y: f32(0.5) })?.index).toBe(0);
  });

  it('a zero tolerance refuses any change (what the server does for a 1e-3 shift)', () => {
    expect(
      checkGoldenOutputs(golden([0.9, 0.1], { abs: 0, rel: 0 }), { y: f32(0.9 + 1e-3, 0.1) })?.index,
    ).toBe(0);
    expect(checkGoldenOutputs(golden([0.25], { abs: 0, rel: 0 }), { y: f32(0.25) })).toBeNull();
  });

  it('compares int64 and float16 outputs by value', () => {
    const ints: GoldenPair = {
      ...golden([]),
      outputs: { y: { dtype: 'int64', dims: [2], data: new BigInt64Array([3n, 4n]) } },
    };
    expect(checkGoldenOutputs(ints, { y: { dims: [2], data: new BigInt64Array([3n, 4n]) } })).toBeNull();
    expect(checkGoldenOutputs(ints, { y: f32(3, 5) })?.index).toBe(1);
    const halves = {
      dtype: 'float16',
      dims: [2],
      data: new Uint16Array([toFloat16Bits(0.5), toFloat16Bits(0.25)]),
    };
    expect(checkGoldenOutputs(golden([0.5, 0.25]), { y: halves })).toBeNull();
  });

  it('a tensor always reproduces itself, and any single element moved past the tolerance is found', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 32 }),
        fc.nat(),
        (values, at) => {
          const expected = { dims: [values.length], data: Float64Array.from(values) };
          const tolerance = { abs: 1e-4, rel: 1e-3 };
          expect(firstMismatch(expected, expected, tolerance)).toBeNull();
          const i = at % values.length;
          const moved = Float64Array.from(values);
          moved[i]! += 2 * (tolerance.abs + tolerance.rel * Math.abs(values[i]!)) + 1;
          expect(firstMismatch(expected, { dims: expected.dims, data: moved }, tolerance)?.index).toBe(i);
        },
      ),
    );
  });
});

describe('goldenPairMisfit', () => {
  it('lists inputs the pair leaves unfed and names the model does not have', () => {
    const pair = { inputs: { image: f32(1) }, outputs: { y: f32(1), extra: f32(1) } };
    expect(goldenPairMisfit(pair, { inputNames: ['x'], outputNames: ['y'] })).toEqual({
      missingInputs: ['x'],
      unknownInputs: ['image'],
      unknownOutputs: ['extra'],
      message:
        'the pair does not fit the model (missing inputs [x], unknown inputs [image], unknown outputs [extra])',
    });
    expect(goldenPairMisfit(golden([1]), { inputNames: ['x'], outputNames: ['y', 'z'] })).toBeNull();
  });
});
