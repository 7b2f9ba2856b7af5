import type { TENSOR_DTYPES } from '../protocol/preprocessing';

/** Element type of a model input tensor. */
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

/** Typed array holding a tensor of the given dtype; float16 travels as its IEEE 754 bit patterns. */
export type TensorData = Float32Array | Uint16Array | Uint8Array | Int8Array;

/** Allocates the typed array for `length` elements of `dtype`. */
export function allocTensorData(dtype: TensorDtype, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float16':
      return new Uint16Array(length);
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of `value`, rounded to nearest even; overflow → ±Inf, NaN kept. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** Converts float values into `out` (same length) in its dtype: ints round (Math.round) and clamp. */
export function convertInto(src: Float32Array, out: TensorData, offset = 0): void {
  const n = src.length;
  if (out instanceof Float32Array) {
    out.set(src, offset);
  } else if (out instanceof Uint16Array) {
    for (let i = 0; i < n; i++) out[offset + i] = toFloat16Bits(src[i]!);
  } else if (out instanceof Uint8Array) {
    for (let i = 0; i < n; i++) {
      const v = Math.round(src[i]!);
      out[offset + i] = Math.min(Math.max(v, 0), 255);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = Math.round(src[i]!);
      out[offset + i] = Math.min(Math.max(v, -128), 127);
    }
  }
}
