// Input checks shared by the drift metrics. These functions run on trusted, already-parsed data, so a
// bad argument is a programming error: it throws a RangeError that says what was expected and what came,
// instead of letting a NaN leak into a gate decision.

/** Throws a RangeError unless `counts` is a non-empty vector of finite, non-negative numbers with a positive sum; returns the sum. */
export function assertCounts(name: string, counts: ArrayLike<number>): number {
  if (counts.length === 0) throw new RangeError(`${name}: expected at least one bin, got an empty vector`);
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isFinite(c) || c < 0) {
      throw new RangeError(`${name}[${i}]: expected a finite count >= 0, got ${c}`);
    }
    total += c;
  }
  if (!(total > 0)) throw new RangeError(`${name}: expected a positive total, got all-zero counts`);
  if (!Number.isFinite(total)) throw new RangeError(`${name}: the total of the counts overflows (${total})`);
  return total;
}

/** Throws a RangeError unless both vectors have the same length. */
export function assertSameLength(
  nameA: string,
  a: ArrayLike<number>,
  nameB: string,
  b: ArrayLike<number>,
): void {
  if (a.length !== b.length) {
    throw new RangeError(`${nameA} and ${nameB}: expected the same length, got ${a.length} and ${b.length}`);
  }
}

/**
 * Throws a RangeError unless `sample` is non-empty and holds no NaN (and, with `finite`, no ±Infinity);
 * returns a sorted Float64Array copy.
 */
export function sortedSample(name: string, sample: ArrayLike<number>, finite: boolean): Float64Array {
  if (sample.length === 0) throw new RangeError(`${name}: expected at least one observation, got none`);
  const sorted = Float64Array.from(sample);
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    if (finite ? !Number.isFinite(x) : Number.isNaN(x)) {
      throw new RangeError(`${name}[${i}]: expected a ${finite ? 'finite number' : 'number'}, got ${x}`);
    }
  }
  return sorted.sort();
}

/** Throws a RangeError unless `edges` are finite and strictly increasing. */
export function assertEdges(edges: ArrayLike<number>): void {
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i]!;
    if (!Number.isFinite(e)) throw new RangeError(`edges[${i}]: expected a finite number, got ${e}`);
    if (i > 0 && !(e > edges[i - 1]!)) {
      throw new RangeError(`edges[${i}]: expected strictly increasing edges, got ${edges[i - 1]} then ${e}`);
    }
  }
}
