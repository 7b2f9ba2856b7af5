import { lnGamma } from '../drift/gamma';

/** A seeded source of random numbers for simulations and property tests (never for secrets). */
export interface Random {
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Binomial(n, p) draw (exact: inversion for small means, Hörmann's BTRS otherwise). */
  binomial(n: number, p: number): number;
  /** Counts of `n` draws over categories with probabilities `probs` (normalised). */
  multinomial(n: number, probs: ArrayLike<number>): number[];
}

/**
 * xoshiro128** seeded through splitmix32: the same seed gives the same stream on every platform.
 * @example const rng = createRandom(42); rng.normal(); rng.binomial(1000, 0.01);
 */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d >>> 0, 11);
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    return result;
  };
  const uniform = () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    let u: number;
    let v: number;
    let r: number;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      r = u * u + v * v;
    } while (r >= 1 || r === 0);
    const f = Math.sqrt((-2 * Math.log(r)) / r);
    spare = v * f;
    return u * f;
  };
  const binomial = (n: number, p: number): number => {
    if (!(Number.isInteger(n) && n >= 0) || !(p >= 0 && p <= 1))
      throw new RangeError(`binomial: expected an integer n >= 0 and p in [0, 1], got n ${n}, p ${p}`);
    if (n === 0 || p === 0) return 0;
    if (p === 1) return n;
    if (p > 0.5) return n - binomial(n, 1 - p);
    return n * p < 10 ? binomialByInversion(uniform, n, p) : binomialByBtrs(uniform, n, p);
  };
  const multinomial = (n: number, probs: ArrayLike<number>): number[] => {
    let total = 0;
    for (let i = 0; i < probs.length; i++) total += probs[i]!;
    const out: number[] = new Array(probs.length).fill(0);
    let left = n;
    let mass = total;
    for (let i = 0; i < probs.length && left > 0; i++) {
      const p = i === probs.length - 1 ? 1 : Math.min(1, Math.max(0, probs[i]! / mass));
      const k = binomial(left, p);
      out[i] = k;
      left -= k;
      mass -= probs[i]!;
      if (!(mass > 0)) break;
    }
    return out;
  };
  return { uniform, normal, binomial, multinomial };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function binomialByInversion(uniform: () => number, n: number, p: number): number {
  const q = 1 - p;
  const ratio = p / q;
  const a = (n + 1) * ratio;
  for (;;) {
    let r = q ** n;
    let u = uniform();
    let x = 0;
    while (u > r) {
      u -= r;
      x++;
      if (x > n) break;
      r *= a / x - ratio;
    }
    if (x <= n) return x;
  }
}

/** Hörmann (1993) transformed rejection with squeeze, for n·p ≥ 10 and p ≤ 0.5. */
function binomialByBtrs(uniform: () => number, n: number, p: number): number {
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / (1 - p));
  const m = Math.floor((n + 1) * p);
  const h = lnGamma(m + 1) + lnGamma(n - m + 1);
  for (;;) {
    const u = uniform() - 0.5;
    const v = uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    const lhs = Math.log((v * alpha) / (a / (us * us) + b));
    if (lhs <= h - lnGamma(k + 1) - lnGamma(n - k + 1) + (k - m) * lpq) return k;
  }
}
