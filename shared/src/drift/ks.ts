import { assertCounts, assertEdges, sortedSample } from './validate';

/**
 * Two-sample Kolmogorov-Smirnov statistic D = sup |F_a − F_b| on raw samples; equals
 * `scipy.stats.ks_2samp(a, b).statistic`. Ties (within and across samples) are handled by stepping both
 * empirical CDFs past every copy of a value before comparing. ±Infinity is allowed; throws a RangeError
 * on an empty sample or NaN.
 *
 * @example ksStatistic([1, 2, 3], [1, 2, 3, 4]) // 0.25
 */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedSample('a', a, false);
  const y = sortedSample('b', b, false);
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  // Once one sample is exhausted its CDF is 1 and the gap only shrinks, so the loop may stop there.
  while (i < n && j < m) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i]! <= v) i++;
    while (j < m && y[j]! <= v) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * KS statistic on binned data: max |CDF_a − CDF_b| at the bin boundaries `edges`. Counts have
 * `edges.length + 1` bins: underflow (x < edges[0]), the interior bins and overflow (x ≥ edges[last]),
 * as produced by the profile histograms. Equals `ks_2samp` on the bin indices of the observations, and
 * is a lower bound of the KS statistic of the underlying raw samples. Throws a RangeError on bad edges,
 * wrong count lengths, negative counts or an all-zero vector.
 *
 * @example ksFromHistograms([0, 1], [0, 10, 0], [0, 5, 5]) // 0.5
 */
export function ksFromHistograms(
  edges: ArrayLike<number>,
  countsA: ArrayLike<number>,
  countsB: ArrayLike<number>,
): number {
  assertEdges(edges);
  for (const [name, counts] of [
    ['countsA', countsA],
    ['countsB', countsB],
  ] as const) {
    if (counts.length !== edges.length + 1) {
      throw new RangeError(
        `${name}: expected edges.length + 1 = ${edges.length + 1} bins (with under- and overflow), got ${counts.length}`,
      );
    }
  }
  const totalA = assertCounts('countsA', countsA);
  const totalB = assertCounts('countsB', countsB);
  let cumA = 0;
  let cumB = 0;
  let d = 0;
  // The CDF at edges[k] is the mass of bins 0..k (everything below the edge).
  for (let k = 0; k < edges.length; k++) {
    cumA += countsA[k]!;
    cumB += countsB[k]!;
    const gap = Math.abs(cumA / totalA - cumB / totalB);
    if (gap > d) d = gap;
  }
  return d;
}
