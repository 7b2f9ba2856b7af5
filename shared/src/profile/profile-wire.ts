import { MAX_STORE_BINS } from '../sketches/bin-store';
import { MAX_CATEGORIES, MAX_CATEGORY_KEY_LENGTH } from '../sketches/category-counts';
import { MAX_HISTOGRAM_EDGES } from '../sketches/histogram';
import { isValidRelativeAccuracy } from '../sketches/log-mapping';
import { MAX_KEY_MAGNITUDE } from '../sketches/log-sketch';
import { MAX_INPUT_FEATURES, MAX_OUTPUT_FEATURES, type ProfileSpec, profileSpecSchema } from './spec';

// The hot half of reading a ProfileJSON without zod: one pass that checks exactly what
// `profileJsonSchema` checks, in the same order (so the first error names the same field), and
// copies every value it read into flat arrays. Semantic checks against the spec follow in
// profile-delta.ts; nothing here reads the JSON twice, so what is checked is what gets merged.

/** A category-counts sketch as read from the wire (every entry, zero counts included). */
export interface CategoryWire {
  max: number;
  keys: string[];
  counts: number[];
  other: number;
}

/** A DDSketchJSON as read from the wire (`bins` still run-length encoded). */
export interface DDSketchWire {
  alpha: number;
  maxBins: number;
  count: number;
  zero: number;
  invalid: number;
  sum: number;
  min: number;
  max: number;
  key0: number;
  bins: number[];
}

/** One side's features: `m` tuples (unchecked values) and `h` counts, concatenated. */
export interface FeaturesWire {
  length: number;
  /** Raw `m` values; feature i's are `m[mStart[i] … mStart[i + 1])`. */
  m: unknown[];
  mStart: number[];
  /** `h` counts (one array shared by inputs and outputs); feature i's are `h[hStart[i] … hStart[i + 1])`. */
  h: number[];
  hStart: number[];
}

/** Moments JSON fields in tuple order: `[n, mean, m2, min, max, nan, pinf, ninf]` (absent counters 0). */
export type MomentsFields = [number, number, number, number, number, number, number, number];

/** A ProfileJSON whose shape passed the schema's checks. */
export interface ProfileWire {
  specHash: string;
  spec: ProfileSpec | undefined;
  inferences: number;
  unknownFeatures: number;
  nullOutputs: number;
  errors: CategoryWire;
  inputs: FeaturesWire;
  outputs: FeaturesWire;
  classes: CategoryWire;
  latency: [DDSketchWire, DDSketchWire, DDSketchWire];
  compared: number;
  agreed: number;
  maxAbsDiff: MomentsFields;
}

/** First schema issue found; thrown inside the reader only, caught by {@link readProfileWire}. */
export class WireIssue {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

const issue = (path: string, message: string): never => {
  throw new WireIssue(path, message);
};
const join = (base: string, key: string | number): string => (base === '' ? String(key) : `${base}.${key}`);

const isCount = (x: unknown): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;

function count(x: unknown, base: string, key: string | number): number {
  return isCount(x) ? x : issue(join(base, key), 'expected a non-negative integer count');
}

function finite(x: unknown, base: string, key: string): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : issue(join(base, key), 'expected a finite number');
}

function int(x: unknown, min: number, max: number, base: string, key: string): number {
  if (typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max) return x;
  return issue(join(base, key), `expected an integer in [${min}, ${max}]`);
}

function object(x: unknown, path: string): Record<string, unknown> {
  if (typeof x === 'object' && x !== null && !Array.isArray(x)) return x as Record<string, unknown>;
  return issue(path, 'expected an object');
}

/** An array of at most `max` items (zod checks the upper bound before the items, the lower one after). */
function array(x: unknown, max: number, path: string): unknown[] {
  if (!Array.isArray(x)) return issue(path, 'expected an array');
  if (x.length > max) issue(path, `expected at most ${max} items`);
  return x;
}

function version(o: Record<string, unknown>, base: string): void {
  if (o.v !== 1) issue(join(base, 'v'), 'expected 1');
}

function readCategories(x: unknown, base: string): CategoryWire {
  const o = object(x, base);
  version(o, base);
  const max = int(o.max, 1, MAX_CATEGORIES, base, 'max');
  const c = array(o.c, MAX_CATEGORIES, `${base}.c`);
  const keys: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < c.length; i++) {
    const e = c[i];
    if (!Array.isArray(e) || e.length !== 2) issue(`${base}.c.${i}`, 'expected [key, count]');
    const pair = e as unknown[];
    const k = pair[0];
    if (typeof k !== 'string' || k.length > MAX_CATEGORY_KEY_LENGTH) {
      issue(`${base}.c.${i}.0`, `expected a string of at most ${MAX_CATEGORY_KEY_LENGTH} characters`);
    }
    keys.push(k as string);
    counts.push(count(pair[1], `${base}.c.${i}`, 1));
  }
  return { max, keys, counts, other: count(o.other, base, 'other') };
}

function readDDSketch(x: unknown, base: string): DDSketchWire {
  const o = object(x, base);
  version(o, base);
  const alpha = finite(o.alpha, base, 'alpha');
  if (!isValidRelativeAccuracy(alpha)) issue(`${base}.alpha`, 'expected 1e-4 ≤ alpha ≤ 0.5');
  const maxBins = int(o.maxBins, 16, MAX_STORE_BINS, base, 'maxBins');
  const n = count(o.count, base, 'count');
  const zero = count(o.zero, base, 'zero');
  const invalid = count(o.invalid, base, 'invalid');
  const sum = finite(o.sum, base, 'sum');
  const min = finite(o.min, base, 'min');
  const max = finite(o.max, base, 'max');
  const key0 = int(o.key0, -MAX_KEY_MAGNITUDE, MAX_KEY_MAGNITUDE, base, 'key0');
  const raw = array(o.bins, MAX_STORE_BINS, `${base}.bins`);
  const bins: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < -MAX_STORE_BINS || b > Number.MAX_SAFE_INTEGER) {
      issue(`${base}.bins.${i}`, `expected an integer ≥ ${-MAX_STORE_BINS}`);
    }
    bins.push(b as number);
  }
  return { alpha, maxBins, count: n, zero, invalid, sum, min, max, key0, bins };
}

function readMomentsObject(x: unknown, base: string): MomentsFields {
  const o = object(x, base);
  version(o, base);
  const n = count(o.n, base, 'n');
  const mean = finite(o.mean, base, 'mean');
  const m2 = finite(o.m2, base, 'm2');
  if (m2 < 0) issue(`${base}.m2`, 'expected m2 ≥ 0');
  const min = finite(o.min, base, 'min');
  const max = finite(o.max, base, 'max');
  const optional = (key: string) => (o[key] === undefined ? 0 : count(o[key], base, key));
  return [n, mean, m2, min, max, optional('nan'), optional('pinf'), optional('ninf')];
}

function readFeatures(x: unknown, side: 'inputs' | 'outputs', max: number, h: number[]): FeaturesWire {
  const list = array(x, max, side);
  const out: FeaturesWire = { length: list.length, m: [], mStart: [0], h, hStart: [h.length] };
  for (let i = 0; i < list.length; i++) {
    const f = object(list[i], `${side}.${i}`);
    const m = array(f.m, 8, `${side}.${i}.m`);
    for (let k = 0; k < m.length; k++) out.m.push(m[k]);
    if (m.length < 5) issue(`${side}.${i}.m`, 'expected at least 5 items');
    out.mStart.push(out.m.length);
    const counts = array(f.h, MAX_HISTOGRAM_EDGES + 1, `${side}.${i}.h`);
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k];
      h.push(isCount(c) ? c : count(c, `${side}.${i}.h`, k));
    }
    out.hStart.push(h.length);
  }
  return out;
}

function readSpec(x: unknown): ProfileSpec | undefined {
  if (x === undefined) return undefined;
  const parsed = profileSpecSchema.safeParse(x);
  if (parsed.success) return parsed.data as ProfileSpec;
  const first = parsed.error.issues[0];
  return issue(join('spec', first?.path.map(String).join('.') ?? ''), first?.message ?? 'invalid');
}

/**
 * Reads a ProfileJSON's shape in the order of `profileJsonSchema`; throws {@link WireIssue} at the
 * first issue (and whatever a hostile getter throws: callers catch both).
 */
export function readProfileWire(json: unknown): ProfileWire {
  const o = object(json, '');
  version(o, '');
  const hash = o.specHash;
  if (typeof hash !== 'string' || !/^[0-9a-f]{16}$/.test(hash)) issue('specHash', 'expected 16 hex digits');
  const spec = readSpec(o.spec);
  const inferences = count(o.inferences, '', 'inferences');
  const unknownFeatures = count(o.unknownFeatures, '', 'unknownFeatures');
  const nullOutputs = count(o.nullOutputs, '', 'nullOutputs');
  const errors = readCategories(o.errors, 'errors');
  const counts: number[] = [];
  const inputs = readFeatures(o.inputs, 'inputs', MAX_INPUT_FEATURES, counts);
  const outputs = readFeatures(o.outputs, 'outputs', MAX_OUTPUT_FEATURES, counts);
  const classes = readCategories(o.classes, 'classes');
  const latency = object(o.latency, 'latency');
  const preprocess = readDDSketch(latency.preprocess, 'latency.preprocess');
  const infer = readDDSketch(latency.infer, 'latency.infer');
  const total = readDDSketch(latency.total, 'latency.total');
  const shadow = object(o.shadow, 'shadow');
  const compared = count(shadow.compared, 'shadow', 'compared');
  const agreed = count(shadow.agreed, 'shadow', 'agreed');
  const maxAbsDiff = readMomentsObject(shadow.maxAbsDiff, 'shadow.maxAbsDiff');
  return {
    specHash: hash as string,
    spec,
    inferences,
    unknownFeatures,
    nullOutputs,
    errors,
    inputs,
    outputs,
    classes,
    latency: [preprocess, infer, total],
    compared,
    agreed,
    maxAbsDiff,
  };
}
