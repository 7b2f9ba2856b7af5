import { lnGamma, regularizedGammaP, regularizedGammaQ } from '../drift/gamma';
import { checkConfidence } from './interval';

// The noncentral chi-square distribution as a Poisson mixture of central ones: weights Pois(j; λ/2) over
// χ²(df + 2j). Each sum needs one incomplete gamma function; the others follow by the recurrences
// P(a+1, y) = P(a, y) − yᵃe⁻ʸ/Γ(a+1) and Q(a+1, y) = Q(a, y) + yᵃe⁻ʸ/Γ(a+1), each run in its additive (stable)
// direction, so tails of 1e-12 keep their digits. Validated against scipy.stats.ncx2 in the fixtures.

/** The Poisson weights of the mixture that matter (beyond ±12 sd they are below 1e-30). */
function mixtureRange(lambda: number): { from: number; to: number; mu: number } {
  const mu = lambda / 2;
  const spread = mu > 0 ? 12 * Math.sqrt(mu) + 12 : 0;
  return { from: Math.max(0, Math.floor(mu - spread)), to: Math.ceil(mu + spread), mu };
}

function poissonWeight(j: number, mu: number): number {
  if (mu === 0) return j === 0 ? 1 : 0;
  return Math.exp(j * Math.log(mu) - mu - lnGamma(j + 1));
}

function checkArgs(df: number, lambda: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`df: expected a finite number > 0, got ${df}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`noncentrality: expected a finite number >= 0, got ${lambda}`);
}

/** P(X > x) for X ~ χ'²(df, λ). */
export function noncentralChiSquareSurvival(x: number, df: number, lambda: number): number {
  checkArgs(df, lambda);
  if (!(x > 0)) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  const { from, to, mu } = mixtureRange(lambda);
  const y = x / 2;
  let a = df / 2 + from;
  let q = regularizedGammaQ(a, y);
  let term = Math.exp(a * Math.log(y) - y - lnGamma(a + 1));
  let w = poissonWeight(from, mu);
  let sum = 0;
  for (let j = from; j <= to; j++) {
    sum += w * q;
    q += term;
    a += 1;
    term *= y / a;
    w *= mu / (j + 1);
  }
  return Math.min(1, sum);
}

/** P(X ≤ x) for X ~ χ'²(df, λ). */
export function noncentralChiSquareCdf(x: number, df: number, lambda: number): number {
  checkArgs(df, lambda);
  if (!(x > 0)) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  const { from, to, mu } = mixtureRange(lambda);
  const y = x / 2;
  let a = df / 2 + to;
  let p = regularizedGammaP(a, y);
  // yᵃ⁻¹e⁻ʸ/Γ(a): the term that P(a − 1, y) exceeds P(a, y) by.
  let term = Math.exp((a - 1) * Math.log(y) - y - lnGamma(a));
  let w = poissonWeight(to, mu);
  let sum = 0;
  for (let j = to; j >= from; j--) {
    sum += w * p;
    p += term; // P(a − 1, y)
    term *= (a - 1) / y; // unused after the last step, where a − 1 may reach 0
    a -= 1;
    w *= mu === 0 ? 0 : j / mu;
  }
  return Math.min(1, sum);
}

/**
 * Interval for the noncentrality λ of χ'²(df, λ) from one observed value `t`: the λ at which `t` sits at the
 * upper and at the lower `(1 − confidence) / 2` tail (test inversion). A bound that no λ ≥ 0 reaches is 0.
 * `upperConfidence` sets the upper bound's level separately (its tail is `(1 − upperConfidence) / 2`).
 * @example noncentralityInterval(30, 9, 0.99) // { lower: ≈3.9, upper: ≈50 }
 */
export function noncentralityInterval(
  t: number,
  df: number,
  confidence: number,
  upperConfidence = confidence,
): { lower: number; upper: number } {
  checkConfidence(confidence);
  checkConfidence(upperConfidence);
  checkArgs(df, 0);
  if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`t: expected a finite number >= 0, got ${t}`);
  const side = (1 - confidence) / 2;
  const upperSide = (1 - upperConfidence) / 2;
  // Survival at t rises with λ; the CDF at t falls with λ.
  const lower =
    noncentralChiSquareSurvival(t, df, 0) >= side
      ? 0
      : solve((lambda) => noncentralChiSquareSurvival(t, df, lambda) < side, t);
  const upper =
    noncentralChiSquareCdf(t, df, 0) <= upperSide
      ? 0
      : solve((lambda) => noncentralChiSquareCdf(t, df, lambda) > upperSide, t);
  return { lower, upper };
}

/** The λ ≥ 0 where `below(λ)` turns false (it is true at 0 and false beyond the root), to ~1e-7 relative. */
function solve(below: (lambda: number) => boolean, scale: number): number {
  let lo = 0;
  let hi = Math.max(1, scale);
  while (below(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 1e15) return hi;
  }
  for (let i = 0; i < 100 && hi - lo > 1e-7 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (below(mid)) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
