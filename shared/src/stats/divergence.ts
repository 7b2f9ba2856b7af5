import { assertCounts, assertSameLength } from '../drift/validate';
import { checkConfidence, type Interval } from './interval';
import { noncentralityInterval } from './noncentral-chi-square';

/** A distance between binned distributions with its bias correction and confidence interval. */
export interface DivergenceInterval extends Interval {
  /** The plug-in value on the smoothed counts, before the bias correction. */
  plugIn: number;
  /** Observations of the baseline and of the window (raw totals, before pseudo-counts). */
  baselineCount: number;
  windowCount: number;
  /** Effective degrees of freedom of the chi-square approximation (bins used − 1, shrunk for sparse bins). */
  df: number;
}

/** Options of {@link psiInterval} and {@link jsDistanceInterval}. */
export interface DivergenceOptions {
  /**
   * The first and last bins are the open under/overflow bins of baseline-anchored edges, empty in the baseline by
   * construction (the edges span the reference's range): an empty one gets a pseudo-count of 1, the expected count
   * there of a reference of N (≈ N/(N+1) of the mass lies inside its range). Default true.
   */
  tailBins?: boolean;
  /** Level of the upper bound when it differs from the lower one's (its tail is `(1 − upperConfidence) / 2`). */
  upperConfidence?: number;
}

interface Smoothed {
  p: Float64Array;
  q: Float64Array;
  n: number;
  N: number;
  bins: number;
  /** Sum of 1/pooled proportion over the bins used (for the sparse-bin dispersion). */
  inversePooled: number;
}

/**
 * Counts with pseudo-counts: a bin empty on both sides is dropped; an empty baseline tail bin gets 1, any other bin
 * empty on one side gets Jeffreys' ½ there, so every ratio is finite and an outlier bin's term stays bounded.
 */
function smooth(baseline: ArrayLike<number>, window: ArrayLike<number>, tailBins: boolean): Smoothed {
  assertSameLength('baseline', baseline, 'window', window);
  const N = assertCounts('baseline', baseline);
  const n = assertCounts('window', window);
  const k = baseline.length;
  const b: number[] = [];
  const a: number[] = [];
  const tailIndex = new Set<number>();
  for (let i = 0; i < k; i++) {
    const bi = baseline[i]!;
    const ai = window[i]!;
    if (bi === 0 && ai === 0) continue;
    const tail = tailBins && (i === 0 || i === k - 1);
    if (tail && bi === 0) tailIndex.add(b.length);
    b.push(bi > 0 ? bi : tail ? 1 : 0.5);
    a.push(ai > 0 ? ai : 0.5);
  }
  const sb = b.reduce((s, x) => s + x, 0);
  const sa = a.reduce((s, x) => s + x, 0);
  const p = Float64Array.from(b, (x) => x / sb);
  const q = Float64Array.from(a, (x) => x / sa);
  // A tail bin's baseline count is 0 by construction, not by chance: its pseudo-count stands for the mass ≈ 1/(N+1)
  // a reference of N leaves outside its range, so its pooled share is not taken below that (a tail the window also
  // almost never reaches would otherwise count as a near-empty multinomial bin and blow up the dispersion).
  let inversePooled = 0;
  for (let i = 0; i < b.length; i++) {
    const pooled = (b[i]! + a[i]!) / (sb + sa);
    inversePooled += 1 / (tailIndex.has(i) ? Math.max(pooled, 1 / (N + 1)) : pooled);
  }
  return { p, q, n, N, bins: b.length, inversePooled };
}

/**
 * Null dispersion of Pearson's two-sample X² scaled by 1/n + 1/N: mean bins − 1 and variance
 * 2(bins − 1) + (Σ1/p − bins² − 2·bins + 2)·(1/n³ + 1/N³)/(1/n + 1/N)², the multinomial fourth-moment term that
 * sparse bins inflate. Matched by c·χ²(ν) (Satterthwaite): c ≥ 1 and ν = (bins − 1)/c.
 */
function nullDispersion(s: Smoothed): { c: number; nu: number } {
  const k = s.bins;
  const scale = 1 / s.n + 1 / s.N;
  const excess = (1 / s.n ** 3 + 1 / s.N ** 3) / scale ** 2;
  const variance = 2 * (k - 1) + Math.max(0, s.inversePooled - k * k - 2 * k + 2) * excess;
  const c = Math.max(1, variance / (2 * (k - 1)));
  return { c, nu: (k - 1) / c };
}

/**
 * The interval of a divergence whose plug-in value is ≈ unit·χ'²(ν, λ) with λ = true value / unit near the null
 * (unit = c·(1/n + 1/N)·localScale). Far from the null the delta-method variance of the plug-in value (both
 * samples) may exceed the model's 4·unit·value: the unit is then widened by that ratio.
 */
function divergenceInterval(
  s: Smoothed,
  plugIn: number,
  localScale: number,
  deltaVariance: number,
  confidence: number,
  upperConfidence: number,
): Omit<DivergenceInterval, 'plugIn' | 'baselineCount' | 'windowCount'> {
  if (s.bins < 2) return { estimate: 0, lower: 0, upper: 0, confidence, df: 0 };
  const { c, nu } = nullDispersion(s);
  let unit = c * (1 / s.n + 1 / s.N) * localScale;
  if (plugIn > 0) unit *= Math.max(1, deltaVariance / (4 * unit * plugIn));
  const t = plugIn / unit;
  const { lower, upper } = noncentralityInterval(t, nu, confidence, upperConfidence);
  return {
    estimate: Math.max(0, t - nu) * unit,
    lower: lower * unit,
    upper: upper * unit,
    confidence,
    df: nu,
  };
}

/** Var of a statistic's gradient g under weights w, over n observations. */
function gradientVariance(w: Float64Array, g: Float64Array, n: number): number {
  let mean = 0;
  let square = 0;
  for (let i = 0; i < w.length; i++) {
    mean += w[i]! * g[i]!;
    square += w[i]! * g[i]! ** 2;
  }
  return Math.max(0, square - mean * mean) / n;
}

/**
 * Bias-corrected PSI of `window` against `baseline` (bin counts over the same baseline-anchored bins) with a
 * two-sided interval at `confidence` that accounts for the sampling noise of both: near the null the plug-in PSI
 * is ≈ (1/n + 1/N)·χ'²(bins − 1, PSI/(1/n + 1/N)); the interval inverts that noncentral chi-square (widened for
 * sparse bins and, far from the null, to the delta-method variance). The estimate subtracts the plug-in's
 * expected noise (bins − 1)(1/n + 1/N). Coverage is checked by seeded simulation in `divergence.test.ts`.
 * @example psiInterval(baselineCounts, windowCounts, 0.99) // { estimate, lower, upper, plugIn, df, … }
 */
export function psiInterval(
  baseline: ArrayLike<number>,
  window: ArrayLike<number>,
  confidence: number,
  options: DivergenceOptions = {},
): DivergenceInterval {
  checkConfidence(confidence);
  const s = smooth(baseline, window, options.tailBins ?? true);
  const { p, q } = s;
  let plugIn = 0;
  const gq = new Float64Array(p.length);
  const gp = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const log = Math.log(q[i]! / p[i]!);
    plugIn += (q[i]! - p[i]!) * log;
    gq[i] = log + 1 - p[i]! / q[i]!;
    gp[i] = -log + 1 - q[i]! / p[i]!;
  }
  const variance = gradientVariance(q, gq, s.n) + gradientVariance(p, gp, s.N);
  return {
    ...divergenceInterval(s, plugIn, 1, variance, confidence, options.upperConfidence ?? confidence),
    plugIn,
    baselineCount: s.N,
    windowCount: s.n,
  };
}

/**
 * Bias-corrected Jensen-Shannon distance (natural log, as `jensenShannonDistance`) with a two-sided interval at
 * `confidence`: the divergence JSD ≈ (1/n + 1/N)/8·χ'²(bins − 1, ·) near the null is bounded as in
 * {@link psiInterval}, and the distance is its square root.
 */
export function jsDistanceInterval(
  baseline: ArrayLike<number>,
  window: ArrayLike<number>,
  confidence: number,
  options: DivergenceOptions = {},
): DivergenceInterval {
  checkConfidence(confidence);
  const s = smooth(baseline, window, options.tailBins ?? true);
  const { p, q } = s;
  let divergence = 0;
  const gq = new Float64Array(p.length);
  const gp = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    gq[i] = 0.5 * Math.log(q[i]! / m);
    gp[i] = 0.5 * Math.log(p[i]! / m);
    divergence += q[i]! * gq[i]! + p[i]! * gp[i]!;
  }
  divergence = Math.max(0, divergence);
  const variance = gradientVariance(q, gq, s.n) + gradientVariance(p, gp, s.N);
  const d = divergenceInterval(
    s,
    divergence,
    1 / 8,
    variance,
    confidence,
    options.upperConfidence ?? confidence,
  );
  return {
    estimate: Math.sqrt(d.estimate),
    lower: Math.sqrt(d.lower),
    upper: Math.sqrt(d.upper),
    confidence,
    df: d.df,
    plugIn: Math.sqrt(divergence),
    baselineCount: s.N,
    windowCount: s.n,
  };
}
