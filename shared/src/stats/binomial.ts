import { betaQuantile, regularizedBeta } from './beta';
import { checkConfidence, type Interval } from './interval';

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return regularizedBeta(1 - p, n - Math.floor(k), Math.floor(k) + 1);
}

/**
 * Clopper-Pearson ("exact") interval for a binomial proportion: at least `confidence` coverage for every true
 * rate and every n, `(1 − confidence) / 2` on each side. The estimate is `successes / trials`; no trials gives
 * the uninformative [0, 1] with a NaN estimate.
 * @example clopperPearson(2, 100, 0.95) // { estimate: 0.02, lower: 0.00243…, upper: 0.0704…, confidence: 0.95 }
 */
export function clopperPearson(successes: number, trials: number, confidence: number): Interval {
  checkConfidence(confidence);
  if (
    !(
      Number.isInteger(trials) &&
      trials >= 0 &&
      Number.isInteger(successes) &&
      successes >= 0 &&
      successes <= trials
    )
  )
    throw new RangeError(
      `clopperPearson: expected integers 0 <= successes <= trials, got ${successes} of ${trials}`,
    );
  if (trials === 0) return { estimate: Number.NaN, lower: 0, upper: 1, confidence };
  const side = (1 - confidence) / 2;
  const lower = successes === 0 ? 0 : betaQuantile(side, successes, trials - successes + 1);
  const upper = successes === trials ? 1 : betaQuantile(1 - side, successes + 1, trials - successes);
  return { estimate: successes / trials, lower, upper, confidence };
}

/**
 * About how many trials a rate of `rate` needs before a `confidence` Clopper-Pearson bound falls on the far side
 * of `threshold` (the upper bound below it when rate < threshold, the lower bound above it otherwise), at the
 * expected count; Infinity when rate equals the threshold. A planning figure, not a guarantee.
 */
export function binomialTrialsNeeded(rate: number, threshold: number, confidence: number): number {
  checkConfidence(confidence);
  if (!(rate >= 0 && rate <= 1 && threshold > 0 && threshold < 1))
    throw new RangeError(`binomialTrialsNeeded: expected rates in [0, 1], got ${rate} and ${threshold}`);
  if (rate === threshold) return Number.POSITIVE_INFINITY;
  const decided = (n: number) => {
    const x = Math.round(rate * n);
    const interval = clopperPearson(x, n, confidence);
    return rate < threshold ? interval.upper < threshold : interval.lower > threshold;
  };
  let hi = 1;
  while (!decided(hi)) {
    hi *= 2;
    if (hi > 1e12) return Number.POSITIVE_INFINITY;
  }
  let lo = Math.floor(hi / 2);
  while (hi - lo > Math.max(1, hi * 0.01)) {
    const mid = Math.floor((lo + hi) / 2);
    if (decided(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
