import { ok, type Result } from '../result';
import { z } from '../zod';
import { SketchMismatchError } from './errors';
import { countNumber, finiteNumber, invalid, parseWire } from './wire';

/** Most edges a histogram may have (profiles use ≤ 21). */
export const MAX_HISTOGRAM_EDGES = 256;

const LINEAR_SCAN_MAX_EDGES = 24;

/** Whether `edges` is a non-empty, strictly increasing list of finite numbers within the bound. */
export function isValidEdges(edges: ArrayLike<number>): boolean {
  if (edges.length < 1 || edges.length > MAX_HISTOGRAM_EDGES) return false;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i]!;
    if (!Number.isFinite(e) || (i > 0 && !(e > edges[i - 1]!))) return false;
  }
  return true;
}

/** Wire form of a {@link Histogram}: `counts.length === edges.length + 1`. */
export const histogramJsonSchema = z.object({
  v: z.literal(1),
  edges: z.array(finiteNumber).check(z.minLength(1), z.maxLength(MAX_HISTOGRAM_EDGES)),
  counts: z.array(countNumber).check(z.maxLength(MAX_HISTOGRAM_EDGES + 1)),
  nan: z.optional(countNumber),
});

/** Wire form of a {@link Histogram}. */
export type HistogramJSON = z.infer<typeof histogramJsonSchema>;

/**
 * Counts over fixed edges: bin 0 is the underflow (x < edges[0]), bin i holds
 * edges[i-1] ≤ x < edges[i], the last bin the overflow (x ≥ edges[last]); ±Infinity land in
 * under/overflow, NaN in `nan`. Merging two histograms over the same edges is exact addition.
 * @example const h = new Histogram([0, 1, 2]); h.add(1.5); h.counts; // [0, 0, 1, 0]
 */
export class Histogram {
  readonly edges: readonly number[];
  /** edges.length + 1 counts: underflow, inner bins, overflow. */
  readonly counts: number[];
  nan = 0;
  private readonly fastEdges: Float64Array;

  constructor(edges: readonly number[]) {
    if (!isValidEdges(edges)) {
      throw new RangeError(`edges must be 1–${MAX_HISTOGRAM_EDGES} strictly increasing finite numbers`);
    }
    this.edges = Object.freeze(edges.slice());
    this.fastEdges = Float64Array.from(edges);
    this.counts = Array.from({ length: edges.length + 1 }, () => 0); // packed, not holey
  }

  /** Index of the bin `x` falls in (NaN → -1): a linear scan for ≤ 24 edges (faster there), else binary search. */
  binOf(x: number): number {
    if (Number.isNaN(x)) return -1;
    const e = this.fastEdges;
    const n = e.length;
    if (n <= LINEAR_SCAN_MAX_EDGES) {
      let i = 0;
      while (i < n && e[i]! <= x) i++;
      return i;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Counts one value (allocation-free). */
  add(x: number): void {
    const bin = this.binOf(x);
    if (bin < 0) this.nan++;
    else this.counts[bin]!++;
  }

  /** Counts every value of `xs`. */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  /** Values counted in bins (NaN excluded). */
  get total(): number {
    let t = 0;
    for (const c of this.counts) t += c;
    return t;
  }

  /** Count below the first edge plus at or above the last one. */
  get outOfRange(): number {
    return this.counts[0]! + this.counts[this.counts.length - 1]!;
  }

  /** Whether `other` has exactly the same edges. */
  sameEdges(other: Histogram): boolean {
    if (other.edges === this.edges) return true;
    if (other.edges.length !== this.edges.length) return false;
    for (let i = 0; i < this.edges.length; i++) if (!Object.is(other.edges[i], this.edges[i])) return false;
    return true;
  }

  /** Adds `other`'s counts; throws {@link SketchMismatchError} if the edges differ. */
  merge(other: Histogram): this {
    if (!this.sameEdges(other))
      throw new SketchMismatchError('edges', 'cannot merge histograms with different edges');
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.nan += other.nan;
    return this;
  }

  /**
   * Adds counts over these same edges, `counts.length + 1` of them from `src[offset]` on (e.g. a profile
   * report's counts, already checked against the spec these edges come from): `merge` without a Histogram.
   */
  addCounts(src: ArrayLike<number>, offset = 0): this {
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) counts[i]! += src[offset + i]!;
    return this;
  }

  /** An independent copy (the frozen edges are shared). */
  clone(): Histogram {
    const h = new Histogram(this.edges);
    for (let i = 0; i < this.counts.length; i++) h.counts[i] = this.counts[i]!;
    h.nan = this.nan;
    return h;
  }

  /** Compact JSON with edges; `nan` is omitted when zero. */
  toJSON(): HistogramJSON {
    const json: HistogramJSON = { v: 1, edges: this.edges.slice(), counts: this.counts.slice() };
    if (this.nan) json.nan = this.nan;
    return json;
  }

  /** Parses and checks a {@link HistogramJSON} (strictly increasing edges, matching counts); never throws. */
  static fromJSON(json: unknown): Result<Histogram> {
    const parsed = parseWire(histogramJsonSchema, json, 'Histogram');
    if (!parsed.ok) return parsed;
    const j = parsed.value;
    if (!isValidEdges(j.edges)) return invalid('Histogram', 'edges', 'expected strictly increasing edges');
    if (j.counts.length !== j.edges.length + 1) {
      return invalid('Histogram', 'counts', `expected ${j.edges.length + 1} counts, got ${j.counts.length}`);
    }
    const h = new Histogram(j.edges);
    for (let i = 0; i < j.counts.length; i++) h.counts[i] = j.counts[i]!;
    h.nan = j.nan ?? 0;
    return ok(h);
  }
}
