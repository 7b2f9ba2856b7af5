/**
 * Hot loops of image feature extraction. Each kernel folds a run of pixels into an accumulator array
 * (`Float64Array`, slots below) in one pass, with float64 sums and no allocation. The typed-array type
 * is fixed per kernel so V8 keeps every element load monomorphic (measured: one kernel shared between
 * Float32Array and Uint8Array costs ~20 % on float32 data). Values are summed shifted by a per-channel
 * constant (the image's first value, set by the caller in the shift slot): E[x²] − E[x]² on raw float32
 * sums left a std of ~1e-6 × mean on constant images; shifted sums make it exactly 0. Float sums are
 * finite exactly when every value is finite (float32 values cannot overflow float64 sums), so NaN/±Inf
 * are detected afterwards from the sums, and only then does the checked kernel run.
 */

/** Accumulator slot: minimum over finite values. */
export const ACC_MIN = 0;
/** Accumulator slot: maximum over finite values. */
export const ACC_MAX = 1;
/** Accumulator slot: NaN count (checked kernel only). */
export const ACC_NAN = 2;
/** Accumulator slot: ±Infinity count (checked kernel only). */
export const ACC_INF = 3;
/** Accumulator slot: Σ (luma − luma shift) over pixels whose weighted channels are finite (checked kernel). */
export const ACC_LUMA_SUM = 4;
/** Accumulator slot: Σ (luma − luma shift)² (checked kernel only). */
export const ACC_LUMA_SQ = 5;
/** Accumulator slot: number of luma pixels (checked kernel only). */
export const ACC_LUMA_N = 6;
/** Accumulator slot: Σ (ch0 − k0)·(ch1 − k1) (three-channel fast kernels only). */
export const ACC_X01 = 7;
/** Accumulator slot: Σ (ch0 − k0)·(ch2 − k2) (three-channel fast kernels only). */
export const ACC_X02 = 8;
/** Accumulator slot: Σ (ch1 − k1)·(ch2 − k2) (three-channel fast kernels only). */
export const ACC_X12 = 9;
/** First per-channel slot. */
export const ACC_CH = 10;
/** Slots per channel. */
export const PER_CH = 4;
/**
 * Slot of channel `c`'s shifted sum Σ (x − k); Σ (x − k)² at +1, finite count at +2 (checked kernel;
 * the fast kernels leave it 0 since every value counts), shift k at +3 (set by the caller).
 */
export const accSum = (c: number): number => ACC_CH + PER_CH * c;
/** Accumulator length for `channels` channels. */
export const accLength = (channels: number): number => ACC_CH + PER_CH * channels;

/** Clears an accumulator (min/max to ±Infinity, everything else, shifts included, to 0). */
export function resetAcc(acc: Float64Array): void {
  acc.fill(0);
  acc[ACC_MIN] = Number.POSITIVE_INFINITY;
  acc[ACC_MAX] = Number.NEGATIVE_INFINITY;
}

/**
 * Three channels: pixel `k` has its values at `d[j]`, `d[j+o1]`, `d[j+o2]` with `j = start + k·step`
 * (NCHW: o1 = H·W, o2 = 2·H·W, step 1; NHWC: o1 = 1, o2 = 2, step 3). Adds shifted sums, squares and
 * cross products (for the exact luma variance) and min/max.
 */
export function moments3F32(
  d: Float32Array,
  start: number,
  o1: number,
  o2: number,
  step: number,
  count: number,
  acc: Float64Array,
): void {
  const k0 = acc[ACC_CH + 3]!;
  const k1 = acc[ACC_CH + PER_CH + 3]!;
  const k2 = acc[ACC_CH + 2 * PER_CH + 3]!;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let q0 = 0;
  let q1 = 0;
  let q2 = 0;
  let x01 = 0;
  let x02 = 0;
  let x12 = 0;
  let mn = acc[ACC_MIN]!;
  let mx = acc[ACC_MAX]!;
  const end = start + count * step;
  for (let j = start; j < end; j += step) {
    const r0 = d[j]!;
    const g0 = d[j + o1]!;
    const b0 = d[j + o2]!;
    if (r0 < mn) mn = r0;
    if (r0 > mx) mx = r0;
    if (g0 < mn) mn = g0;
    if (g0 > mx) mx = g0;
    if (b0 < mn) mn = b0;
    if (b0 > mx) mx = b0;
    const r = r0 - k0;
    const g = g0 - k1;
    const b = b0 - k2;
    s0 += r;
    s1 += g;
    s2 += b;
    q0 += r * r;
    q1 += g * g;
    q2 += b * b;
    x01 += r * g;
    x02 += r * b;
    x12 += g * b;
  }
  addMoments3(acc, s0, s1, s2, q0, q1, q2, x01, x02, x12, mn, mx);
}

/**
 * Pixels per int32 block of the uint8 kernels: 255² · 8192 < 2³¹, so sums of squares and cross
 * products stay small integers (measured ~1.1–1.3× faster than float64 accumulators). Integer sums are
 * exact, so the uint8 kernels need no shift (the caller leaves it 0).
 */
const U8_BLOCK = 8192;

/** {@link moments3F32} for uint8 data (no NaN/Inf possible), with int32 block sums. */
export function moments3U8(
  d: Uint8Array,
  start: number,
  o1: number,
  o2: number,
  step: number,
  count: number,
  acc: Float64Array,
): void {
  let mn = acc[ACC_MIN]!;
  let mx = acc[ACC_MAX]!;
  const end = start + count * step;
  for (let block = start; block < end; block += U8_BLOCK * step) {
    const blockEnd = Math.min(end, block + U8_BLOCK * step);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let q0 = 0;
    let q1 = 0;
    let q2 = 0;
    let x01 = 0;
    let x02 = 0;
    let x12 = 0;
    for (let j = block; j < blockEnd; j += step) {
      const r = d[j]!;
      const g = d[j + o1]!;
      const b = d[j + o2]!;
      s0 = (s0 + r) | 0;
      s1 = (s1 + g) | 0;
      s2 = (s2 + b) | 0;
      q0 = (q0 + r * r) | 0;
      q1 = (q1 + g * g) | 0;
      q2 = (q2 + b * b) | 0;
      x01 = (x01 + r * g) | 0;
      x02 = (x02 + r * b) | 0;
      x12 = (x12 + g * b) | 0;
      if (r < mn) mn = r;
      if (r > mx) mx = r;
      if (g < mn) mn = g;
      if (g > mx) mx = g;
      if (b < mn) mn = b;
      if (b > mx) mx = b;
    }
    addMoments3(acc, s0, s1, s2, q0, q1, q2, x01, x02, x12, mn, mx);
  }
}

function addMoments3(
  acc: Float64Array,
  s0: number,
  s1: number,
  s2: number,
  q0: number,
  q1: number,
  q2: number,
  x01: number,
  x02: number,
  x12: number,
  mn: number,
  mx: number,
): void {
  acc[ACC_CH] = acc[ACC_CH]! + s0;
  acc[ACC_CH + 1] = acc[ACC_CH + 1]! + q0;
  acc[ACC_CH + PER_CH] = acc[ACC_CH + PER_CH]! + s1;
  acc[ACC_CH + PER_CH + 1] = acc[ACC_CH + PER_CH + 1]! + q1;
  acc[ACC_CH + 2 * PER_CH] = acc[ACC_CH + 2 * PER_CH]! + s2;
  acc[ACC_CH + 2 * PER_CH + 1] = acc[ACC_CH + 2 * PER_CH + 1]! + q2;
  acc[ACC_X01] = acc[ACC_X01]! + x01;
  acc[ACC_X02] = acc[ACC_X02]! + x02;
  acc[ACC_X12] = acc[ACC_X12]! + x12;
  acc[ACC_MIN] = mn;
  acc[ACC_MAX] = mx;
}

/**
 * One channel over a contiguous run `d[start .. start+count)`. Two interleaved accumulator sets
 * break the loop-carried add/compare chains (measured ~1.35× over a single set).
 */
export function moments1F32(d: Float32Array, start: number, count: number, acc: Float64Array): void {
  const k = acc[ACC_CH + 3]!;
  let s0 = 0;
  let s1 = 0;
  let q0 = 0;
  let q1 = 0;
  let mn0 = acc[ACC_MIN]!;
  let mx0 = acc[ACC_MAX]!;
  let mn1 = mn0;
  let mx1 = mx0;
  const end = start + count;
  let j = start;
  for (; j + 1 < end; j += 2) {
    const a0 = d[j]!;
    const b0 = d[j + 1]!;
    if (a0 < mn0) mn0 = a0;
    if (a0 > mx0) mx0 = a0;
    if (b0 < mn1) mn1 = b0;
    if (b0 > mx1) mx1 = b0;
    const a = a0 - k;
    const b = b0 - k;
    s0 += a;
    s1 += b;
    q0 += a * a;
    q1 += b * b;
  }
  if (j < end) {
    const a0 = d[j]!;
    if (a0 < mn0) mn0 = a0;
    if (a0 > mx0) mx0 = a0;
    const a = a0 - k;
    s0 += a;
    q0 += a * a;
  }
  acc[ACC_CH] = acc[ACC_CH]! + s0 + s1;
  acc[ACC_CH + 1] = acc[ACC_CH + 1]! + q0 + q1;
  acc[ACC_MIN] = Math.min(mn0, mn1);
  acc[ACC_MAX] = Math.max(mx0, mx1);
}

/** {@link moments1F32} for uint8 data, with int32 block sums. */
export function moments1U8(d: Uint8Array, start: number, count: number, acc: Float64Array): void {
  let mn = acc[ACC_MIN]!;
  let mx = acc[ACC_MAX]!;
  const end = start + count;
  for (let block = start; block < end; block += U8_BLOCK) {
    const blockEnd = Math.min(end, block + U8_BLOCK);
    let s = 0;
    let q = 0;
    for (let j = block; j < blockEnd; j++) {
      const a = d[j]!;
      s = (s + a) | 0;
      q = (q + a * a) | 0;
      if (a < mn) mn = a;
      if (a > mx) mx = a;
    }
    acc[ACC_CH] = acc[ACC_CH]! + s;
    acc[ACC_CH + 1] = acc[ACC_CH + 1]! + q;
  }
  acc[ACC_MIN] = mn;
  acc[ACC_MAX] = mx;
}
