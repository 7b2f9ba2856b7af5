import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toFloat16Bits } from '../preprocessing/dtype';
import { base64Encode } from '../signing/base64url';
import {
  MAX_TENSOR_ELEMENTS,
  tensorFromBytes,
  tensorFromJson,
  tensorJsonSchema,
  tensorValues,
} from './tensor';

const bytesOf = (view: ArrayBufferView) => new Uint8Array(view.buffer, view.byteOffset, view.byteLength);

describe('tensorFromJson', () => {
  it('decodes data values: null as NaN, booleans as 0/1, int64 as BigInt', () => {
    const f = tensorFromJson({ dtype: 'float32', dims: [3], data: [0.5, null, true] });
    expect(f.ok && [...(f.value.data as Float32Array)]).toEqual([0.5, Number.NaN, 1]);
    const b = tensorFromJson({ dtype: 'bool', dims: [2], data: [true, false] });
    expect(b).toMatchObject({ ok: true, value: { dtype: 'bool', dims: [2], data: new Uint8Array([1, 0]) } });
    const i = tensorFromJson({ dtype: 'int64', dims: [1, 2], data: [-3.7, 2 ** 53] });
    expect(i.ok && [...(i.value.data as BigInt64Array)]).toEqual([-3n, 2n ** 53n]);
  });

  it('decodes base64 as raw little-endian bytes for every dtype', () => {
    const cases = [
      ['float32', new Float32Array([1, -2.5])],
      ['float64', new Float64Array([Math.PI, -0])],
      ['int32', new Int32Array([-7, 2 ** 30])],
      ['int64', new BigInt64Array([-(2n ** 62n), 5n])],
      ['uint8', new Uint8Array([0, 255])],
      ['int8', new Int8Array([-128, 127])],
      ['bool', new Uint8Array([1, 0])],
    ] as const;
    for (const [dtype, data] of cases) {
      const t = tensorFromJson({ dtype, dims: [2], base64: base64Encode(bytesOf(data)) });
      expect(t, dtype).toEqual({ ok: true, value: { dtype, dims: [2], data } });
    }
  });

  it('refuses values that do not fill dims, bytes that do not fit, and base64 that is not base64', () => {
    expect(tensorFromJson({ dtype: 'float32', dims: [2], data: [1] }, 'inputs.x')).toMatchObject({
      ok: false,
      error: { kind: 'invalid', path: 'inputs.x', message: 'inputs.x: dims [2] need 2 values, got 1' },
    });
    expect(tensorFromJson({ dtype: 'float32', dims: [1, 2], base64: 'AAAA' })).toMatchObject({
      ok: false,
      error: { message: 'tensor: dims [1,2] of float32 need 8 bytes, got 3' },
    });
    expect(tensorFromJson({ dtype: 'uint8', dims: [2], base64: '-_8' })).toMatchObject({
      ok: false,
      error: { path: 'tensor.base64' },
    });
  });

  it('refuses int64 values BigInt cannot take or the array would wrap, instead of throwing', () => {
    for (const v of [null, Number.POSITIVE_INFINITY, Number.NaN, 2 ** 63, -(2 ** 64)]) {
      const t = tensorFromJson({ dtype: 'int64', dims: [2], data: [1, v] });
      expect(t, String(v)).toMatchObject({ ok: false, error: { path: 'tensor.data.1' } });
    }
  });

  it('refuses more than MAX_TENSOR_ELEMENTS before allocating', () => {
    const dims = [MAX_TENSOR_ELEMENTS, 2];
    expect(tensorFromJson({ dtype: 'float64', dims, data: [] }).ok).toBe(false);
    expect(tensorFromBytes('uint8', dims, new Uint8Array(0)).ok).toBe(false);
    expect(tensorFromBytes('uint8', [1.5], new Uint8Array(1)).ok).toBe(false);
    expect(tensorFromBytes('uint8', [0, MAX_TENSOR_ELEMENTS], new Uint8Array(0)).ok).toBe(true);
  });

  it('copies bytes at any offset (alignment never matters)', () => {
    const raw = new Uint8Array(9);
    raw.set(bytesOf(new Float64Array([2.25])), 1);
    const t = tensorFromBytes('float64', [1], raw.subarray(1));
    expect(t.ok && t.value.data).toEqual(new Float64Array([2.25]));
  });
});

describe('tensorJsonSchema', () => {
  it('takes exactly one of data and base64, at most 8 dims of counts', () => {
    const ok = (v: unknown) => tensorJsonSchema.safeParse(v).success;
    expect(ok({ dtype: 'float32', dims: [1], data: [1] })).toBe(true);
    expect(ok({ dtype: 'float32', dims: [1], data: [1], base64: 'AACAPw==' })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [1] })).toBe(false);
    expect(ok({ dtype: 'float16', dims: [1], data: [1] })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: [1] })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [-1], data: [] })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [0.5], data: [] })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [1], data: ['1'] })).toBe(false);
    expect(ok({ dtype: 'float32', dims: [1], data: [1], extra: 1 })).toBe(false);
  });
});

describe('tensorValues', () => {
  it('reads every tensor as float64, decoding float16 bit patterns', () => {
    expect(tensorValues({ data: new BigInt64Array([3n, -1n]) })).toEqual(new Float64Array([3, -1]));
    expect(tensorValues({ data: [1, 2] })).toEqual(new Float64Array([1, 2]));
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
        const bits = new Uint16Array([toFloat16Bits(x)]);
        const [back] = tensorValues({ dtype: 'float16', data: bits });
        expect(Math.abs(back! - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25);
      }),
    );
    const special = new Uint16Array([0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8000]);
    expect([...tensorValues({ dtype: 'float16', data: special })]).toEqual([
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      2 ** -24,
      -0,
    ]);
  });
});
