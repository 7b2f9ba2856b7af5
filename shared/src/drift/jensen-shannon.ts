import { assertCounts, assertSameLength } from './validate';

const LN2 = Math.LN2;

/**
 * f(d) = (1+d)·ln(1+d) + (1−d)·ln(1−d) for d in [−1, 1], so that p·ln(p/m) + q·ln(q/m) = m·f(d) with
 * m = (p+q)/2 and d = (p−q)/(p+q). For small |d| the two logarithms cancel, so the even power series
 * Σ d^(2k) / (k(2k−1)) is used there.
 */
function divergenceKernel(d: number): number {
  const ad = Math.abs(d);
  if (ad >= 1) return 2 * LN2;
  if (ad >= 0.5) return (1 + d) * Math.log1p(d) + (1 - d) * Math.log1p(-d);
  const d2 = d * d;
  let power = d2;
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = power / (k * (2 * k - 1));
    sum += term;
    if (term <= sum * 1e-17) break;
    power *= d2;
  }
  return sum;
}

/**
 * Jensen-Shannon distance (natural log) between two distributions given as counts or probabilities:
 * sqrt((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q) / 2, in [0, sqrt(ln 2)]. Equals
 * `scipy.spatial.distance.jensenshannon(p, q)`; for near-identical inputs, where scipy's direct formula
 * loses digits to cancellation, this evaluation (series in (p−q)/(p+q)) stays accurate to ~1e-13.
 * Throws a RangeError on mismatched lengths, negative or non-finite entries, or an all-zero vector.
 *
 * @example jensenShannonDistance([1, 0], [0, 1]) // sqrt(ln 2) ≈ 0.8326
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  assertSameLength('p', p, 'q', q);
  const totalP = assertCounts('p', p);
  const totalQ = assertCounts('q', q);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    // Cross-multiplied so that integer counts give an exactly rounded d.
    const pScaled = p[i]! * totalQ;
    const qScaled = q[i]! * totalP;
    const both = pScaled + qScaled;
    if (both === 0) continue;
    const pi = p[i]! / totalP;
    const qi = q[i]! / totalQ;
    const d = Number.isFinite(both) ? (pScaled - qScaled) / both : (pi - qi) / (pi + qi);
    sum += ((pi + qi) / 2) * divergenceKernel(d);
  }
  return Math.sqrt(sum / 2);
}
