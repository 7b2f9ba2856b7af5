import type { ParseError, Result } from '../result';
import { fail, ok } from '../result';
import { momentsChecked } from './checked-kernel';
import { type ImageGeometry, type ImageLayout, imageGeometry } from './dims';
import {
  ACC_INF,
  ACC_LUMA_N,
  ACC_LUMA_SQ,
  ACC_LUMA_SUM,
  ACC_MAX,
  ACC_MIN,
  ACC_NAN,
  ACC_X01,
  ACC_X02,
  ACC_X12,
  accLength,
  accSum,
  moments1F32,
  moments1U8,
  moments3F32,
  moments3U8,
  resetAcc,
} from './kernels';
import {
  accumulateLuma,
  LUMA_ACC_LENGTH,
  LUMA_CLIPPED,
  LUMA_LAP_N,
  LUMA_LAP_SQ,
  LUMA_LAP_SUM,
  LUMA_N,
} from './luma';
import { imageFeatureNames, MAX_IMAGE_CHANNELS } from './names';

/** Image features as a flat record, keys as {@link imageFeatureNames} lists them. */
export type ImageFeatures = Record<string, number>;

/** Options of {@link imageFeatures}. */
export interface ImageFeatureOptions {
  /**
   * Value range of the preprocessed tensor; luma samples within 1e-6·(max−min) of either end count as
   * clipped, and `ch{c}.rel` is taken on means normalised to it. Default: 0..255 for Uint8Array,
   * 0..1 for Float32Array (pass e.g. `{ min: -1, max: 1 }` for `x / 127.5 − 1` preprocessing).
   */
  range?: { min: number; max: number };
  /** Luma weight per channel. Default: `[1]` for 1 channel, BT.601 `[0.299, 0.587, 0.114]` on
   * channels 0..2 (RGB order; pass `[0.114, 0.587, 0.299]` for BGR) for ≥ 3, equal weights for 2. */
  lumaWeights?: readonly number[];
  /** Only this batch item (0-based); default: the whole batch pooled. */
  item?: number;
  /** Record to write into and return, to avoid one allocation per call (reuse it per channel count). */
  into?: ImageFeatures;
}

/** BT.601 luma weights for RGB. */
export const BT601_RGB: readonly number[] = Object.freeze([0.299, 0.587, 0.114]);

const CLIP_TOLERANCE = 1e-6;
const F32_RANGE = Object.freeze({ min: 0, max: 1 });
const U8_RANGE = Object.freeze({ min: 0, max: 255 });
// Scratch reused by every call (JS runs one call at a time per realm); sized for the most channels.
const weightsByChannels: Float64Array[] = [];
const acc = new Float64Array(accLength(MAX_IMAGE_CHANNELS));
const lumaAcc = new Float64Array(LUMA_ACC_LENGTH);
const channelMeans = new Float64Array(MAX_IMAGE_CHANNELS);
let weights: Float64Array = new Float64Array(3);

const invalid = (message: string, path: string): Result<never> =>
  fail<ParseError>({ kind: 'invalid', message, path });

/**
 * Summary features of an image tensor, computed in one pass over the data plus a ≤ 64×64 luma copy.
 * Per channel: mean, population std and `rel` = mean ÷ mean of the channel means (means first
 * normalised to `range`; 1 when that average is 0). `brightness` = mean luma, `contrast` = RMS contrast
 * (population std of luma over all pixels, exact), `sharpness` = variance of the 4-neighbour Laplacian
 * of the luma copy, `clipped` = share of luma-copy samples at or beyond the range ends, `nan`/`inf` =
 * counts of NaN/±Inf values, `min`/`max` over finite values. Statistics skip non-finite values (luma
 * skips pixels with a non-finite weighted channel); a feature with no finite input is NaN. A batch is
 * pooled (every pixel of every item counts once; sharpness pools the items' Laplacians) unless
 * `opts.item` picks one. Values are in the tensor's units, so a uint8 image and the same values as
 * float32 with `range: { min: 0, max: 255 }` give the same features.
 * @example
 * const r = imageFeatures(tensor, [1, 3, 320, 320], 'NCHW');
 * if (r.ok) profile.observeInputs(r.value);
 */
export function imageFeatures(
  data: Float32Array | Uint8Array,
  dims: readonly number[],
  layout: ImageLayout,
  opts: ImageFeatureOptions = {},
): Result<ImageFeatures> {
  const isF32 = data instanceof Float32Array;
  if (!isF32 && !(data instanceof Uint8Array))
    return invalid('expected a Float32Array or Uint8Array', 'data');
  const geo = imageGeometry(data.length, dims, layout);
  if (!geo.ok) return geo;
  const g = geo.value;
  if (g.c > MAX_IMAGE_CHANNELS) {
    return invalid(`expected at most ${MAX_IMAGE_CHANNELS} channels, got ${g.c} (layout ${layout})`, 'dims');
  }
  const range = opts.range ?? (isF32 ? F32_RANGE : U8_RANGE);
  if (!(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min < range.max)) {
    return invalid(`expected finite range with min < max, got ${range.min}..${range.max}`, 'opts.range');
  }
  const w = setWeights(g.c, opts.lumaWeights);
  if (!w.ok) return w;
  let first = 0;
  let items = g.n;
  if (opts.item !== undefined) {
    if (!(Number.isSafeInteger(opts.item) && opts.item >= 0 && opts.item < g.n)) {
      return invalid(`expected item in 0..${g.n - 1}, got ${opts.item}`, 'opts.item');
    }
    first = opts.item;
    items = 1;
  }
  const fast = accumulateMoments(data, g, first, items);
  accumulateLumaCopies(data, g, first, items, range.min, range.max, fast);
  const out = opts.into ?? {};
  writeFeatures(out, g, items, fast, range.min, range.max);
  return ok(out);
}

function setWeights(channels: number, given: readonly number[] | undefined): Result<Float64Array> {
  weights = weightsByChannels[channels] ?? new Float64Array(channels);
  weightsByChannels[channels] = weights;
  if (given !== undefined) {
    if (given.length !== channels || !given.every(Number.isFinite)) {
      return invalid(
        `expected ${channels} finite luma weights, got [${given.join(',')}]`,
        'opts.lumaWeights',
      );
    }
    weights.set(given);
  } else if (channels >= 3) {
    weights.fill(0);
    weights.set(BT601_RGB);
  } else {
    weights.fill(1 / channels);
  }
  return ok(weights);
}

/** Runs the fast kernel where one fits and the data is finite, else the checked one. Returns fast?. */
function accumulateMoments(
  data: Float32Array | Uint8Array,
  g: ImageGeometry,
  first: number,
  items: number,
): boolean {
  const nchw = g.layout === 'NCHW';
  const chStride = nchw ? g.pixels : 1;
  const step = nchw ? 1 : g.c;
  const start = first * g.itemSize;
  resetShifted(data, start, chStride, g.c);
  if (g.c === 3 || g.c === 1) {
    for (let i = first; i < first + items; i++) {
      const itemStart = i * g.itemSize;
      if (g.c === 1) {
        if (data instanceof Float32Array) moments1F32(data, itemStart, g.pixels, acc);
        else moments1U8(data, itemStart, g.pixels, acc);
      } else if (data instanceof Float32Array) {
        moments3F32(data, itemStart, chStride, 2 * chStride, step, g.pixels, acc);
      } else {
        moments3U8(data, itemStart, chStride, 2 * chStride, step, g.pixels, acc);
      }
    }
    let finite = true;
    for (let c = 0; c < g.c; c++) finite = finite && Number.isFinite(acc[accSum(c)]!);
    if (finite) return true;
    resetShifted(data, start, chStride, g.c);
  }
  for (let i = first; i < first + items; i++) {
    momentsChecked(data, i * g.itemSize, chStride, step, g.pixels, g.c, weights, acc);
  }
  return false;
}

/** Clears the accumulator and sets each channel's shift to its first value (0 if not finite or uint8). */
function resetShifted(
  data: Float32Array | Uint8Array,
  start: number,
  chStride: number,
  channels: number,
): void {
  resetAcc(acc);
  if (!(data instanceof Float32Array)) return;
  for (let c = 0; c < channels; c++) {
    const k = data[start + c * chStride]!;
    acc[accSum(c) + 3] = Number.isFinite(k) ? k : 0;
  }
}

function writeFeatures(
  out: ImageFeatures,
  g: ImageGeometry,
  items: number,
  fast: boolean,
  lo: number,
  hi: number,
): void {
  const names = imageFeatureNames(g.c);
  const pixels = g.pixels * items;
  let meanSum = 0;
  let meanCount = 0;
  let brightness = 0;
  let lumaVar = 0;
  for (let c = 0; c < g.c; c++) {
    const a = accSum(c);
    const n = fast ? pixels : acc[a + 2]!;
    const shifted = acc[a]! / n;
    const mean = acc[a + 3]! + shifted;
    const v = Math.max(0, acc[a + 1]! / n - shifted * shifted);
    out[names[3 * c]!] = mean;
    out[names[3 * c + 1]!] = Math.sqrt(v);
    out[names[3 * c + 2]!] = 0; // set below; written now to keep the documented key order
    channelMeans[c] = (mean - lo) / (hi - lo);
    if (Number.isFinite(mean)) {
      meanSum += channelMeans[c]!;
      meanCount++;
    }
    brightness += weights[c]! * mean;
    lumaVar += weights[c]! * weights[c]! * v;
  }
  const avg = meanSum / meanCount;
  for (let c = 0; c < g.c; c++) {
    out[names[3 * c + 2]!] =
      Math.abs(avg) > 1e-12 ? channelMeans[c]! / avg : Number.isFinite(avg) ? 1 : Number.NaN;
  }
  if (fast && g.c === 3) {
    // var(luma) = wᵀ·Cov·w; the diagonal is in lumaVar already. Covariances are shift-invariant.
    const m0 = acc[accSum(0)]! / pixels;
    const m1 = acc[accSum(1)]! / pixels;
    const m2 = acc[accSum(2)]! / pixels;
    const w0 = weights[0]!;
    const w1 = weights[1]!;
    const w2 = weights[2]!;
    lumaVar +=
      2 *
      (w0 * w1 * (acc[ACC_X01]! / pixels - m0 * m1) +
        w0 * w2 * (acc[ACC_X02]! / pixels - m0 * m2) +
        w1 * w2 * (acc[ACC_X12]! / pixels - m1 * m2));
    lumaVar = Math.max(0, lumaVar);
  } else if (!fast) {
    let lumaShift = 0;
    for (let c = 0; c < g.c; c++) lumaShift += weights[c]! * acc[accSum(c) + 3]!;
    const ln = acc[ACC_LUMA_N]!;
    const shifted = acc[ACC_LUMA_SUM]! / ln;
    brightness = lumaShift + shifted;
    lumaVar = Math.max(0, acc[ACC_LUMA_SQ]! / ln - shifted * shifted);
  }
  out.brightness = brightness;
  out.contrast = Math.sqrt(lumaVar);
  const lapN = lumaAcc[LUMA_LAP_N]!;
  const lapMean = lumaAcc[LUMA_LAP_SUM]! / lapN;
  out.sharpness = Math.max(0, lumaAcc[LUMA_LAP_SQ]! / lapN - lapMean * lapMean);
  out.clipped = lumaAcc[LUMA_CLIPPED]! / lumaAcc[LUMA_N]!;
  out.nan = acc[ACC_NAN]!;
  out.inf = acc[ACC_INF]!;
  const mn = acc[ACC_MIN]!;
  const mx = acc[ACC_MAX]!;
  out.min = Number.isFinite(mn) ? mn : Number.NaN;
  out.max = Number.isFinite(mx) ? mx : Number.NaN;
}

function accumulateLumaCopies(
  data: Float32Array | Uint8Array,
  g: ImageGeometry,
  first: number,
  items: number,
  lo: number,
  hi: number,
  finite: boolean,
): void {
  const chStride = g.layout === 'NCHW' ? g.pixels : 1;
  const step = g.layout === 'NCHW' ? 1 : g.c;
  const tol = CLIP_TOLERANCE * (hi - lo);
  lumaAcc.fill(0);
  for (let i = first; i < first + items; i++) {
    accumulateLuma(
      data,
      i * g.itemSize,
      chStride,
      step,
      g.h,
      g.w,
      weights,
      lo + tol,
      hi - tol,
      finite,
      lumaAcc,
    );
  }
}
