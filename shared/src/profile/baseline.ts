import { QuantileSketch } from '../sketches/quantile-sketch';
import { Profile } from './profile';
import {
  type FeatureSpec,
  isUsableFeatureName,
  MAX_BASELINE_BINS,
  MAX_CLASSES,
  type ProfileSpec,
} from './spec';

/** One reference sample: input features, optionally output features and the top-1 label. */
export interface BaselineSample {
  inputs: Readonly<Record<string, number>>;
  outputs?: Readonly<Record<string, number>> | null;
  label?: string | number;
}

/** Options of {@link buildBaseline}. */
export interface BaselineOptions {
  /** Equal-mass bins per feature, 1 … 20 (default 10). */
  bins?: number;
  /** Known class labels; default: the distinct string labels seen, sorted (if ≤ 1024). */
  classes?: string[];
  /** Latency sketch parameters of the spec (default α = 0.01, 2048 bins). */
  latency?: { relativeAccuracy: number; maxBins: number };
}

// Finer than the latency default: edges should be close to the true quantiles.
const EDGE_SKETCH = { relativeAccuracy: 0.005, maxBins: 4096 };

/** Pass-1 state of one feature: exact min/max and a sketch of (x − anchor). */
class EdgeFinder {
  /** First finite value seen: shifting by it gives relative accuracy to the spread, not the offset. */
  anchor = Number.NaN;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly sketch = new QuantileSketch(EDGE_SKETCH);

  add(x: number): void {
    if (typeof x !== 'number' || !Number.isFinite(x)) return;
    if (Number.isNaN(this.anchor)) this.anchor = x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sketch.add(x - this.anchor);
  }

  /** [min, interior equal-mass quantiles…, nextUp(max)], ties removed: always strictly increasing. */
  edges(bins: number): number[] {
    if (this.min > this.max) return [0, 1];
    const top = nextUp(this.max);
    const last = Number.isFinite(top) ? top : this.max;
    const edges = [this.min];
    for (let i = 1; i < bins; i++) {
      const e = this.anchor + this.sketch.quantile(i / bins);
      if (e > edges[edges.length - 1]! && e < last) edges.push(e);
    }
    if (last > edges[edges.length - 1]!) edges.push(last);
    else edges.unshift(-Number.MAX_VALUE); // only a constant Number.MAX_VALUE feature gets here
    return edges;
  }
}

/**
 * Builds a baseline from reference samples in two passes: (1) a quantile sketch per feature
 * gives equal-mass edges from the baseline min to just above its max, so in-range means
 * min ≤ x ≤ max (a max of Number.MAX_VALUE lands in the overflow bin); (2) the samples are counted exactly into a {@link Profile} over those edges.
 * Samples are plain feature records or {@link BaselineSample}s; a one-shot iterator (e.g. a
 * generator) is buffered during pass 1. Feature order is first-seen order. Throws RangeError
 * on `bins` outside 1 … 20.
 * @example const { spec, profile } = buildBaseline(referenceFeatures, { bins: 10 });
 */
export function buildBaseline(
  samples: Iterable<Readonly<Record<string, number>> | BaselineSample>,
  options: BaselineOptions = {},
): { spec: ProfileSpec; profile: Profile } {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BASELINE_BINS) {
    throw new RangeError(`bins must be an integer in [1, ${MAX_BASELINE_BINS}], got ${bins}`);
  }
  const iterator = samples[Symbol.iterator]();
  const oneShot = (iterator as unknown) === samples;
  const buffered: BaselineSample[] = [];
  const inputs = new Map<string, EdgeFinder>();
  const outputs = new Map<string, EdgeFinder>();
  const labels = new Set<string>();
  for (let r = iterator.next(); !r.done; r = iterator.next()) {
    const s = asSample(r.value);
    if (oneShot) buffered.push(s);
    observeEdges(inputs, s.inputs);
    if (s.outputs) observeEdges(outputs, s.outputs);
    if (typeof s.label === 'string' && labels.size <= MAX_CLASSES) labels.add(s.label);
  }
  const toSpecs = (m: Map<string, EdgeFinder>): FeatureSpec[] =>
    [...m].map(([name, f]) => ({ name, edges: f.edges(bins) }));
  const spec: ProfileSpec = {
    v: 1,
    inputs: toSpecs(inputs),
    outputs: toSpecs(outputs),
    latency: options.latency ?? { relativeAccuracy: 0.01, maxBins: 2048 },
  };
  const classes =
    options.classes ?? (labels.size > 0 && labels.size <= MAX_CLASSES ? [...labels].sort() : undefined);
  if (classes) spec.classes = classes;
  const profile = new Profile(spec);
  for (const raw of oneShot ? buffered : samples) {
    const s = asSample(raw);
    profile.observeInputs(s.inputs);
    if (s.outputs !== undefined) profile.observeOutputs(s.outputs);
    if (s.label !== undefined) profile.observeClass(s.label);
  }
  return { spec, profile };
}

function asSample(s: Readonly<Record<string, number>> | BaselineSample): BaselineSample {
  const inputs = (s as { inputs?: unknown }).inputs;
  return typeof inputs === 'object' && inputs !== null
    ? (s as BaselineSample)
    : { inputs: s as Record<string, number> };
}

function observeEdges(finders: Map<string, EdgeFinder>, values: Readonly<Record<string, number>>): void {
  for (const name in values) {
    if (!Object.hasOwn(values, name)) continue;
    let f = finders.get(name);
    if (!f) {
      if (!isUsableFeatureName(name)) continue;
      f = new EdgeFinder();
      finders.set(name, f);
    }
    f.add(values[name]!);
  }
}

const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);

/** The next double above finite `x`. */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  scratch[0] = x;
  scratchBits[0] = scratchBits[0]! + (x > 0 ? 1n : -1n);
  return scratch[0];
}
