import { assertCounts, assertEdges } from './validate';

/**
 * Wasserstein-1 distance between two histograms over the same `edges` (counts with under- and overflow,
 * `edges.length + 1` bins), with each bin's mass placed at one representative point shared by both
 * (see {@link binRepresentatives}); then W1 = Σ |F_A − F_B| × (gap to the next point), exactly.
 *
 * An approximation of the raw-sample W1: by the triangle inequality it differs from it by at most the mean
 * distance of the observations of each side to their bin's point (half an inner bin width at worst
 * inside the edges; unbounded in under/overflow, so shifts far beyond the baseline's range saturate).
 * Throws a RangeError on bad edges, wrong count lengths, negative counts or an all-zero vector.
 */
export function wassersteinFromHistograms(
  edges: ArrayLike<number>,
  countsA: ArrayLike<number>,
  countsB: ArrayLike<number>,
  tailWidth = 1,
): number {
  assertEdges(edges);
  const k = edges.length;
  if (k === 0) throw new RangeError('edges: expected at least one edge, got none');
  if (countsA.length !== k + 1 || countsB.length !== k + 1) {
    throw new RangeError(
      `counts: expected edges.length + 1 = ${k + 1} bins, got ${countsA.length} and ${countsB.length}`,
    );
  }
  if (!(tailWidth > 0 && Number.isFinite(tailWidth))) {
    throw new RangeError(`tailWidth: expected a finite number > 0, got ${tailWidth}`);
  }
  const totalA = assertCounts('countsA', countsA);
  const totalB = assertCounts('countsB', countsB);
  const point = binRepresentatives(edges, tailWidth);
  let cumA = 0;
  let cumB = 0;
  let sum = 0;
  // Between consecutive representative points both CDFs are constant: ∫|F_A − F_B| is a finite sum.
  for (let bin = 0; bin < k; bin++) {
    cumA += countsA[bin]!;
    cumB += countsB[bin]!;
    sum += Math.abs(cumA / totalA - cumB / totalB) * (point[bin + 1]! - point[bin]!);
  }
  return sum;
}

/**
 * One point per bin (under- and overflow included): inner bins at their midpoint, except that the two
 * outermost inner bins — the wide tail bins of equal-mass edges, whose mass crowds towards the inner edge
 * for bell-shaped or skewed data — sit no farther than one neighbouring bin width beyond their inner
 * edge; under- and overflow half an outermost bin width beyond the outer edges (`tailWidth` with a single
 * edge). The points are strictly increasing.
 */
export function binRepresentatives(edges: ArrayLike<number>, tailWidth = 1): number[] {
  const k = edges.length;
  const width = (bin: number) => edges[bin]! - edges[bin - 1]!; // inner bins are 1 … k−1
  const points = [edges[0]! - (k > 1 ? width(1) : tailWidth) / 2];
  for (let bin = 1; bin < k; bin++) points.push((edges[bin - 1]! + edges[bin]!) / 2);
  points.push(edges[k - 1]! + (k > 1 ? width(k - 1) : tailWidth) / 2);
  if (k > 2) {
    points[1] = Math.max(points[1]!, edges[1]! - width(2));
    points[k - 1] = Math.min(points[k - 1]!, edges[k - 2]! + width(k - 2));
  }
  return points;
}
