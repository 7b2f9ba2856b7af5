import { assertCounts, assertSameLength } from './validate';

/**
 * Population Stability Index between two binned distributions: Σ (a−e)·ln(a/e) over bins.
 *
 * `expected` (baseline) and `actual` (current) are bin counts over the same bins (or proportions; both
 * are normalised). Proportions below `eps` are raised to `eps` so an empty bin contributes a large but
 * finite term; the clamped proportions are not renormalised (the common Evidently / NannyML convention).
 * Always ≥ 0, and 0 for proportional inputs. Throws a RangeError on mismatched lengths, negative or
 * non-finite counts, an all-zero vector, or eps outside (0, 1).
 *
 * @example psi([10, 20, 70], [15, 25, 60]) // ≈ 0.0468
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, eps = 1e-4): number {
  assertSameLength('expected', expected, 'actual', actual);
  const totalE = assertCounts('expected', expected);
  const totalA = assertCounts('actual', actual);
  if (!(eps > 0 && eps < 1)) throw new RangeError(`eps: expected a number in (0, 1), got ${eps}`);
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const rawE = expected[i]! / totalE;
    const rawA = actual[i]! / totalA;
    const e = Math.max(rawE, eps);
    const a = Math.max(rawA, eps);
    // Cross-multiplied counts give a − e without cancellation for near-identical bins (exact for integer
    // counts below 2^26); log1p keeps ln(a/e) accurate there too.
    const crossed = (actual[i]! * totalE - expected[i]! * totalA) / (totalA * totalE);
    const diff = e === rawE && a === rawA && Number.isFinite(crossed) ? crossed : a - e;
    sum += diff * Math.log1p(diff / e);
  }
  return sum;
}
