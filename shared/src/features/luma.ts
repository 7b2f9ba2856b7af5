/**
 * The small luma copy behind `sharpness` and `clipped`: a nearest-neighbour sample of the image on a
 * grid of at most {@link LUMA_MAX_SIDE}² pixels (integer stride `s = ceil(max(H, W) / 64)`, so the
 * aspect ratio is kept and the Laplacian stays isotropic; block centres are sampled). Nearest rather
 * than area: it reads ≤ 4096 pixels instead of all of them (measured on 3×320×320 float32: 26 µs for
 * sampling + Laplacian vs 350 µs for the box sums alone, which would double the call), and a sampled
 * share of clipped pixels is an unbiased estimate where block averages would hide clipping.
 */

/** Largest side of the luma copy. */
export const LUMA_MAX_SIDE = 64;

/** Luma accumulator slot: sum of Laplacian values. */
export const LUMA_LAP_SUM = 0;
/** Luma accumulator slot: sum of squared Laplacian values. */
export const LUMA_LAP_SQ = 1;
/** Luma accumulator slot: number of finite Laplacian values. */
export const LUMA_LAP_N = 2;
/** Luma accumulator slot: clipped luma samples. */
export const LUMA_CLIPPED = 3;
/** Luma accumulator slot: finite luma samples. */
export const LUMA_N = 4;
/** Length of the luma accumulator. */
export const LUMA_ACC_LENGTH = 5;

// Reused between calls: JS runs one call at a time per realm, so one scratch grid suffices.
const grid = new Float64Array(LUMA_MAX_SIDE * LUMA_MAX_SIDE);
const columns = new Int32Array(LUMA_MAX_SIDE);

/** Stride of the luma copy for an `h`×`w` image. */
export const lumaStride = (h: number, w: number): number => Math.ceil(Math.max(h, w) / LUMA_MAX_SIDE);

/**
 * Samples one image's luma copy and adds its Laplacian moments and clipped count to `acc`. Channel `c`
 * of pixel (y, x) is at `d[start + (y·w + x)·pixelStep + c·chStride]`. The 4-neighbour Laplacian uses
 * replicated borders, so every size (1×1 included) is defined. `finite` says every value is finite (the
 * moments pass knows): then the 1- and 3-channel paths skip all checks; otherwise non-finite luma
 * samples are left out of the clipped share and of every Laplacian that touches them. `lo`/`hi` are the
 * clip thresholds.
 */
export function accumulateLuma(
  d: Float32Array | Uint8Array,
  start: number,
  chStride: number,
  pixelStep: number,
  h: number,
  w: number,
  weights: Float64Array,
  lo: number,
  hi: number,
  finite: boolean,
  acc: Float64Array,
): void {
  const s = lumaStride(h, w);
  const half = s >> 1;
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  for (let ox = 0; ox < ow; ox++) columns[ox] = Math.min(ox * s + half, w - 1) * pixelStep;
  let clipped = 0;
  let n = oh * ow;
  const channels = weights.length;
  if (finite && channels === 3) {
    const w0 = weights[0]!;
    const w1 = weights[1]!;
    const w2 = weights[2]!;
    const o2 = 2 * chStride;
    for (let oy = 0, g = 0; oy < oh; oy++) {
      const row = start + Math.min(oy * s + half, h - 1) * w * pixelStep;
      for (let ox = 0; ox < ow; ox++, g++) {
        const p = row + columns[ox]!;
        const luma = w0 * d[p]! + w1 * d[p + chStride]! + w2 * d[p + o2]!;
        grid[g] = luma;
        if (luma <= lo || luma >= hi) clipped++;
      }
    }
  } else if (finite && channels === 1) {
    const w0 = weights[0]!;
    for (let oy = 0, g = 0; oy < oh; oy++) {
      const row = start + Math.min(oy * s + half, h - 1) * w * pixelStep;
      for (let ox = 0; ox < ow; ox++, g++) {
        const luma = w0 * d[row + columns[ox]!]!;
        grid[g] = luma;
        if (luma <= lo || luma >= hi) clipped++;
      }
    }
  } else {
    n = 0;
    for (let oy = 0, g = 0; oy < oh; oy++) {
      const row = start + Math.min(oy * s + half, h - 1) * w * pixelStep;
      for (let ox = 0; ox < ow; ox++, g++) {
        const p = row + columns[ox]!;
        let luma = 0;
        for (let c = 0; c < channels; c++) {
          const wgt = weights[c]!;
          if (wgt !== 0) luma += wgt * d[p + c * chStride]!;
        }
        grid[g] = luma;
        if (luma - luma === 0) {
          n++;
          if (luma <= lo || luma >= hi) clipped++;
        }
      }
    }
  }
  acc[LUMA_CLIPPED] = acc[LUMA_CLIPPED]! + clipped;
  acc[LUMA_N] = acc[LUMA_N]! + n;
  accumulateLaplacian(oh, ow, acc);
}

/** Adds the 4-neighbour Laplacian moments of the `oh`×`ow` grid (replicated borders) to `acc`. */
function accumulateLaplacian(oh: number, ow: number, acc: Float64Array): void {
  let sum = 0;
  let sq = 0;
  let count = 0;
  for (let oy = 0; oy < oh; oy++) {
    const row = oy * ow;
    const up = oy > 0 ? row - ow : row;
    const down = oy < oh - 1 ? row + ow : row;
    // Left / centre / right roll through registers: three loads per pixel instead of five.
    let left = grid[row]!;
    let centre = left;
    for (let ox = 0; ox < ow; ox++) {
      const right = ox + 1 < ow ? grid[row + ox + 1]! : centre;
      const lap = grid[up + ox]! + grid[down + ox]! + left + right - 4 * centre;
      if (lap - lap === 0) {
        sum += lap;
        sq += lap * lap;
        count++;
      }
      left = centre;
      centre = right;
    }
  }
  acc[LUMA_LAP_SUM] = acc[LUMA_LAP_SUM]! + sum;
  acc[LUMA_LAP_SQ] = acc[LUMA_LAP_SQ]! + sq;
  acc[LUMA_LAP_N] = acc[LUMA_LAP_N]! + count;
}
