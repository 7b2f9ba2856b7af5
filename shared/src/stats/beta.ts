import { lnGamma } from '../drift/gamma';

// Regularised incomplete beta function I_x(a, b) (Numerical Recipes 3rd ed. §6.4: a modified-Lentz continued
// fraction on the side where it converges fast) and its inverse in x by bisection. Validated against
// scipy.stats.beta in the fixtures.

const EPS = Number.EPSILON;
const FPMIN = Number.MIN_VALUE / EPS;
const MAX_ITERATIONS = 1_000_000;

function continuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPS) return h;
  }
  throw new RangeError(`incomplete beta continued fraction did not converge for a=${a}, b=${b}, x=${x}`);
}

/** I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b), a, b > 0, 0 ≤ x ≤ 1. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || !Number.isFinite(a + b))
    throw new RangeError(`regularizedBeta: expected finite a, b > 0, got a ${a}, b ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedBeta: expected x in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(a, b, x)) / a;
  return 1 - (front * continuedFraction(b, a, 1 - x)) / b;
}

/** The x with I_x(a, b) = p (the Beta(a, b) quantile), by bisection to ~1e-15. */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`betaQuantile: expected p in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(lo, 1e-300); i++) {
    const mid = i < 60 || lo === 0 ? (lo + hi) / 2 : Math.sqrt(lo * hi);
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
