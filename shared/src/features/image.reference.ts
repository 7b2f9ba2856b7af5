// Test oracle for image.ts: the definitions written out as plainly as possible (index arithmetic per
// value, two-pass variances, no scratch state). Not exported from the package; slow on purpose.
import type { ImageLayout } from './dims';

export interface ReferenceOptions {
  range: { min: number; max: number };
  weights: readonly number[];
  item?: number;
}

const finite = (v: number): boolean => Number.isFinite(v);

function moments(xs: number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(v) };
}

/** Naive image features with the semantics documented on `imageFeatures`. */
export function referenceImageFeatures(
  data: ArrayLike<number>,
  dims: [number, number, number, number],
  layout: ImageLayout,
  o: ReferenceOptions,
): Record<string, number> {
  const [N, C, H, W] = layout === 'NCHW' ? dims : [dims[0], dims[3], dims[1], dims[2]];
  const at = (n: number, c: number, y: number, x: number): number =>
    layout === 'NCHW' ? data[((n * C + c) * H + y) * W + x]! : data[((n * H + y) * W + x) * C + c]!;
  const items = o.item === undefined ? [...Array(N).keys()] : [o.item];
  const perChannel: number[][] = Array.from({ length: C }, () => []);
  const lumas: number[] = [];
  let nan = 0;
  let inf = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const lumaOf = (n: number, y: number, x: number): number => {
    let l = 0;
    for (let c = 0; c < C; c++) {
      const v = at(n, c, y, x);
      if (o.weights[c] !== 0) {
        if (!finite(v)) return Number.NaN;
        l += o.weights[c]! * v;
      }
    }
    return l;
  };
  for (const n of items) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < C; c++) {
          const v = at(n, c, y, x);
          if (Number.isNaN(v)) nan++;
          else if (!finite(v)) inf++;
          else {
            perChannel[c]!.push(v);
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
        }
        const l = lumaOf(n, y, x);
        if (finite(l)) lumas.push(l);
      }
    }
  }
  const out: Record<string, number> = {};
  const span = o.range.max - o.range.min;
  const ms = perChannel.map(moments);
  const norm = ms.map((m) => (m.mean - o.range.min) / span);
  const fin = norm.filter(finite);
  const avg = fin.reduce((a, b) => a + b, 0) / fin.length;
  ms.forEach((m, c) => {
    out[`ch${c}.mean`] = m.mean;
    out[`ch${c}.std`] = m.std;
    out[`ch${c}.rel`] = Math.abs(avg) > 1e-12 ? norm[c]! / avg : finite(avg) ? 1 : Number.NaN;
  });
  const lm = moments(lumas);
  out.brightness = lm.mean;
  out.contrast = lm.std;
  // Luma copy: nearest sample at block centres, stride ceil(max(H, W) / 64).
  const s = Math.ceil(Math.max(H, W) / 64);
  const oh = Math.ceil(H / s);
  const ow = Math.ceil(W / s);
  const tol = 1e-6 * span;
  const laps: number[] = [];
  let clipped = 0;
  let sampled = 0;
  for (const n of items) {
    const grid: number[][] = [];
    for (let oy = 0; oy < oh; oy++) {
      const row: number[] = [];
      for (let ox = 0; ox < ow; ox++) {
        const l = lumaOf(n, Math.min(oy * s + (s >> 1), H - 1), Math.min(ox * s + (s >> 1), W - 1));
        row.push(l);
        if (finite(l)) {
          sampled++;
          if (l <= o.range.min + tol || l >= o.range.max - tol) clipped++;
        }
      }
      grid.push(row);
    }
    const g = (y: number, x: number): number =>
      grid[Math.min(Math.max(y, 0), oh - 1)]![Math.min(Math.max(x, 0), ow - 1)]!;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const lap = g(y - 1, x) + g(y + 1, x) + g(y, x - 1) + g(y, x + 1) - 4 * g(y, x);
        if (finite(lap)) laps.push(lap);
      }
    }
  }
  const lapM = moments(laps);
  out.sharpness = lapM.std ** 2;
  out.clipped = clipped / sampled;
  out.nan = nan;
  out.inf = inf;
  out.min = finite(min) ? min : Number.NaN;
  out.max = finite(max) ? max : Number.NaN;
  return out;
}
