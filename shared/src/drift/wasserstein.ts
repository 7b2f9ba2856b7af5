import { sortedSample } from './validate';

/**
 * First Wasserstein (earth mover's) distance between two raw samples, ∫ |F_a − F_b| dx; equals
 * `scipy.stats.wasserstein_distance(a, b)`. The integral is summed with Neumaier compensation. Throws a
 * RangeError on an empty sample or a non-finite value.
 *
 * @example wasserstein1([0, 1, 3], [5, 6, 8]) // 5
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedSample('a', a, true);
  const y = sortedSample('b', b, true);
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let prev = Math.min(x[0]!, y[0]!);
  let sum = 0;
  let compensation = 0;
  // Walk the merged distinct values; between `prev` and the next value both CDFs are constant.
  while (i < n || j < m) {
    const v = j >= m || (i < n && x[i]! <= y[j]!) ? x[i]! : y[j]!;
    const term = Math.abs(i / n - j / m) * (v - prev);
    const t = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    while (i < n && x[i]! <= v) i++;
    while (j < m && y[j]! <= v) j++;
    prev = v;
  }
  return sum + compensation;
}
