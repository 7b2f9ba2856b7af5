import { binomialCdf } from './binomial';
import { checkConfidence, type Interval } from './interval';

/**
 * 0-based ranks of the order statistics that bound the `q`-quantile of a continuous distribution from `n`
 * observations with at least `confidence` (distribution-free: the count below the true quantile is
 * Binomial(n, q)). `lower` is −1 when no order statistic is low enough (the bound is −∞ / the support's minimum),
 * `upper` is `n` when none is high enough (+∞).
 * @example quantileRanks(1000, 0.95, 0.99) // { lower: 931, upper: 967 }
 */
export function quantileRanks(n: number, q: number, confidence: number): { lower: number; upper: number } {
  checkConfidence(confidence);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n: expected an integer >= 0, got ${n}`);
  if (!(q > 0 && q < 1)) throw new RangeError(`q: expected a number in (0, 1), got ${q}`);
  const side = (1 - confidence) / 2;
  if (n === 0) return { lower: -1, upper: 0 };
  // lower: the largest k with P(Bin(n, q) ≤ k) ≤ side; upper: the smallest k with P(Bin(n, q) ≤ k) ≥ 1 − side.
  const lower = binomialCdf(0, n, q) > side ? -1 : lastAtMost(n, q, side);
  const upper = binomialCdf(n - 1, n, q) < 1 - side ? n : firstAtLeast(n, q, 1 - side);
  return { lower, upper };
}

function lastAtMost(n: number, q: number, level: number): number {
  let lo = 0; // cdf(lo) ≤ level
  let hi = n - 1;
  if (binomialCdf(hi, n, q) <= level) return hi;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialCdf(mid, n, q) <= level) lo = mid;
    else hi = mid;
  }
  return lo;
}

function firstAtLeast(n: number, q: number, level: number): number {
  let lo = -1; // cdf(lo) < level
  let hi = n - 1; // cdf(hi) ≥ level
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialCdf(mid, n, q) >= level) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Distribution-free interval for the `q`-quantile of binned data: `valueAt(rank, 'lower' | 'upper')` gives the
 * lower or upper edge of the bin that holds the observation of that 0-based rank (sorted ascending), so binning
 * only widens the interval. A missing side is −Infinity / +Infinity; `estimate` is the caller's point estimate.
 */
export function quantileInterval(
  n: number,
  q: number,
  confidence: number,
  estimate: number,
  valueAt: (rank: number, edge: 'lower' | 'upper') => number,
): Interval {
  const ranks = quantileRanks(n, q, confidence);
  return {
    estimate,
    lower: ranks.lower < 0 ? Number.NEGATIVE_INFINITY : valueAt(ranks.lower, 'lower'),
    upper: ranks.upper >= n ? Number.POSITIVE_INFINITY : valueAt(ranks.upper, 'upper'),
    confidence,
  };
}

/**
 * Interval for a / b of two positive quantities from independent intervals at `(1 + confidence) / 2` each
 * (union bound: both cover with probability ≥ `confidence`, and then a / b lies in [a.lower / b.upper,
 * a.upper / b.lower]). Use it for a candidate's latency quantile over the control cohort's.
 */
export function ratioOfIntervals(a: Interval, b: Interval, confidence: number): Interval {
  checkConfidence(confidence);
  const divide = (x: number, y: number) => (y > 0 ? x / y : Number.POSITIVE_INFINITY);
  return {
    estimate: divide(a.estimate, b.estimate),
    lower: Math.max(0, b.upper === Number.POSITIVE_INFINITY ? 0 : divide(a.lower, b.upper)),
    upper: divide(a.upper, b.lower),
    confidence,
  };
}
