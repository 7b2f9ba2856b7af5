import {
  ACC_CH,
  ACC_INF,
  ACC_LUMA_N,
  ACC_LUMA_SQ,
  ACC_LUMA_SUM,
  ACC_MAX,
  ACC_MIN,
  ACC_NAN,
  PER_CH,
} from './kernels';

/**
 * Any channel count, any values: per channel shifted sums over finite values only, luma moments over
 * pixels whose weighted channels are all finite (shifted by Σ weight·shift), min/max over finite
 * values, NaN and ±Inf counted. Channel `c` of pixel `k` is at `d[start + k·step + c·chStride]`. Used
 * for NaN/Inf data and for C ∉ {1, 3}; slower than the fast kernels but one pass without allocation.
 */
export function momentsChecked(
  d: Float32Array | Uint8Array,
  start: number,
  chStride: number,
  step: number,
  count: number,
  channels: number,
  weights: Float64Array,
  acc: Float64Array,
): void {
  let mn = acc[ACC_MIN]!;
  let mx = acc[ACC_MAX]!;
  let nan = 0;
  let inf = 0;
  let ls = 0;
  let lq = 0;
  let ln = 0;
  let lumaShift = 0;
  for (let c = 0; c < channels; c++) lumaShift += weights[c]! * acc[ACC_CH + PER_CH * c + 3]!;
  const end = start + count * step;
  for (let j = start; j < end; j += step) {
    let luma = 0;
    let lumaOk = true;
    for (let c = 0, i = j, a = ACC_CH; c < channels; c++, i += chStride, a += PER_CH) {
      const v = d[i]!;
      const wgt = weights[c]!;
      if (v - v === 0) {
        const x = v - acc[a + 3]!;
        acc[a] = acc[a]! + x;
        acc[a + 1] = acc[a + 1]! + x * x;
        acc[a + 2] = acc[a + 2]! + 1;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (wgt !== 0) luma += wgt * v;
      } else {
        if (Number.isNaN(v)) nan++;
        else inf++;
        if (wgt !== 0) lumaOk = false;
      }
    }
    if (lumaOk) {
      const l = luma - lumaShift;
      ls += l;
      lq += l * l;
      ln++;
    }
  }
  acc[ACC_MIN] = mn;
  acc[ACC_MAX] = mx;
  acc[ACC_NAN] = acc[ACC_NAN]! + nan;
  acc[ACC_INF] = acc[ACC_INF]! + inf;
  acc[ACC_LUMA_SUM] = acc[ACC_LUMA_SUM]! + ls;
  acc[ACC_LUMA_SQ] = acc[ACC_LUMA_SQ]! + lq;
  acc[ACC_LUMA_N] = acc[ACC_LUMA_N]! + ln;
}
