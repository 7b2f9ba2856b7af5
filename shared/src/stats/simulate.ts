// Helpers for seeded simulations of baseline-anchored histograms (tests, benches, planning): a reference sample's
// edges as the baseline builder draws them, and the true bin probabilities of a distribution over those edges.

/** Edges like a baseline's: [min, the `bins − 1` interior equal-mass order statistics, just above max]. */
export function referenceEdges(sample: readonly number[], bins = 10): number[] {
  const sorted = [...sample].sort((a, b) => a - b);
  const n = sorted.length;
  const edges = [sorted[0]!];
  for (let i = 1; i < bins; i++) {
    const e = sorted[Math.floor((i * n) / bins)]!;
    if (e > edges[edges.length - 1]!) edges.push(e);
  }
  const top = sorted[n - 1]! + Math.max(1e-12, Math.abs(sorted[n - 1]!) * 1e-12);
  if (top > edges[edges.length - 1]!) edges.push(top);
  return edges;
}

/** Counts of `values` over `edges` as a Histogram bins them (underflow, inner bins, overflow). */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of values) {
    let i = 0;
    while (i < edges.length && edges[i]! <= x) i++;
    counts[i]!++;
  }
  return counts;
}

/** Probabilities of the `edges.length + 1` bins under a distribution with CDF `cdf`. */
export function binProbabilities(edges: readonly number[], cdf: (x: number) => number): number[] {
  const out: number[] = [];
  let previous = 0;
  for (const e of edges) {
    const c = cdf(e);
    out.push(Math.max(0, c - previous));
    previous = c;
  }
  out.push(Math.max(0, 1 - previous));
  return out;
}

/** PSI between two probability vectors (the true value a simulation checks an interval against). */
export function exactPsi(p: readonly number[], q: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++)
    if (p[i]! > 0 && q[i]! > 0) sum += (q[i]! - p[i]!) * Math.log(q[i]! / p[i]!);
  return sum;
}

/** Jensen-Shannon distance (natural log) between two probability vectors. */
export function exactJsDistance(p: readonly number[], q: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) sum += 0.5 * p[i]! * Math.log(p[i]! / m);
    if (q[i]! > 0) sum += 0.5 * q[i]! * Math.log(q[i]! / m);
  }
  return Math.sqrt(Math.max(0, sum));
}
