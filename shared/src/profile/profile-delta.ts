import { fail, ok, type ParseError, type Result } from '../result';
import {
  type CategoryWire,
  type DDSketchWire,
  type FeaturesWire,
  type MomentsFields,
  type ProfileWire,
  readProfileWire,
  WireIssue,
} from './profile-wire';
import { MAX_ERROR_KINDS, maxClassCategories, type ProfileSpec, specHash } from './spec';

/** A category-counts sketch checked against its bound: kept entries (count > 0) in wire order. */
export interface CategoryDelta {
  readonly keys: readonly string[];
  readonly counts: readonly number[];
  readonly other: number;
}

/**
 * One ProfileJSON, fully checked against a spec and held in flat arrays until it is merged with
 * `Profile.mergeDelta` (or `mergeJsonInto`): merging it gives exactly what merging
 * `Profile.fromJSON(json, spec)` gives, without building that profile's sketches.
 */
export interface ProfileDelta {
  readonly spec: ProfileSpec;
  readonly specHash: string;
  readonly inferences: number;
  readonly unknownFeatures: number;
  readonly nullOutputs: number;
  /** Errors by kind, `other` included (what `Profile.errorCount` would say). */
  readonly errorCount: number;
  readonly errors: CategoryDelta;
  readonly classes: CategoryDelta;
  /** 8 numbers per feature, inputs then outputs: `[n, mean, m2, min, max, nan, pinf, ninf]` as `Moments` holds them. */
  readonly moments: Float64Array;
  /** Histogram counts, inputs then outputs, each feature `edges.length + 1` long, in spec order. */
  readonly counts: readonly number[];
  /** preprocess, infer, total. */
  readonly latency: readonly [DDSketchWire, DDSketchWire, DDSketchWire];
  readonly compared: number;
  readonly agreed: number;
  /** `[n, mean, m2, min, max, nan, pinf, ninf]` as `Moments` holds them. */
  readonly maxAbsDiff: Float64Array;
}

class Refusal {
  constructor(readonly error: ParseError) {}
}

const refuse = (path: string, message: string, kind: ParseError['kind'] = 'invalid'): never => {
  throw new Refusal({ kind, path, message: `Profile: ${path}: ${message}` });
};

/**
 * Reads a ProfileJSON's shape (as `profileJsonSchema`, never throws). Resolves the spec as
 * `Profile.fromJSON` does and hands it to `prepare` (which may throw: unreadable input).
 */
export function readProfileShape(json: unknown): Result<ProfileWire> {
  try {
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const v = (json as { v?: unknown }).v;
      if (typeof v === 'number' && v !== 1) {
        return fail({
          kind: 'unsupported_version',
          message: `Profile: version ${v} is not supported (expected 1)`,
          path: 'v',
        });
      }
    }
    return ok(readProfileWire(json));
  } catch (e) {
    if (e instanceof WireIssue) {
      return fail({ kind: 'invalid', path: e.path, message: `Profile: ${e.path || '(root)'}: ${e.message}` });
    }
    return unreadable(e);
  }
}

/** The spec a profile is read under: the given one, else the embedded one; its hash must match. */
export function resolveSpec(w: ProfileWire, given: ProfileSpec | undefined): Result<ProfileSpec> {
  try {
    const spec = given ?? w.spec;
    if (!spec) refuse('spec', `needed to read a profile of spec ${w.specHash}`);
    if (w.spec && given && specHash(w.spec) !== specHash(given)) {
      refuse('spec', 'embedded spec differs from the given one', 'mismatch');
    }
    const hash = specHash(spec as ProfileSpec);
    if (hash !== w.specHash) refuse('specHash', `${w.specHash} ≠ spec's ${hash}`, 'mismatch');
    return ok(spec as ProfileSpec);
  } catch (e) {
    return e instanceof Refusal ? fail(e.error) : unreadable(e);
  }
}

/** Checks a read profile against its spec, in the order `Profile.fromJSON` checks; never throws. */
export function checkProfileWire(w: ProfileWire, spec: ProfileSpec): Result<ProfileDelta> {
  try {
    const moments = new Float64Array(8 * (spec.inputs.length + spec.outputs.length));
    checkFeatures(w.inputs, 'inputs', spec.inputs, moments, 0);
    checkFeatures(w.outputs, 'outputs', spec.outputs, moments, spec.inputs.length);
    const errors = checkCategories(w.errors, 'errors', MAX_ERROR_KINDS);
    const classes = checkCategories(w.classes, 'classes', maxClassCategories(spec));
    const stages = ['preprocess', 'infer', 'total'] as const;
    for (let s = 0; s < 3; s++) checkDDSketch(w.latency[s]!, `latency.${stages[s]}`, spec.latency);
    const maxAbsDiff = new Float64Array(8);
    checkMoments(w.maxAbsDiff, 'shadow.maxAbsDiff', maxAbsDiff, 0);
    if (w.agreed > w.compared) refuse('shadow.agreed', 'exceeds compared');
    let errorCount = errors.other;
    for (const c of errors.counts) errorCount += c;
    return ok({
      spec,
      specHash: specHash(spec),
      inferences: w.inferences,
      unknownFeatures: w.unknownFeatures,
      nullOutputs: w.nullOutputs,
      errorCount,
      errors,
      classes,
      moments,
      counts: w.inputs.h, // inputs then outputs: one array
      latency: w.latency,
      compared: w.compared,
      agreed: w.agreed,
      maxAbsDiff,
    });
  } catch (e) {
    return e instanceof Refusal ? fail(e.error) : unreadable(e);
  }
}

/** Reads and checks a ProfileJSON under `spec` (see {@link ProfileDelta}); never throws. */
export function profileDeltaOf(json: unknown, spec: ProfileSpec): Result<ProfileDelta> {
  const shape = readProfileShape(json);
  if (!shape.ok) return shape;
  const resolved = resolveSpec(shape.value, spec);
  return resolved.ok ? checkProfileWire(shape.value, resolved.value) : resolved;
}

function unreadable(e: unknown): Result<never> {
  return fail({
    kind: 'invalid',
    message: `Profile: unreadable input (${(e as Error)?.message ?? 'error'})`,
  });
}

function checkFeatures(
  f: FeaturesWire,
  side: 'inputs' | 'outputs',
  features: readonly { edges: readonly number[] }[],
  moments: Float64Array,
  first: number,
): void {
  if (f.length !== features.length) refuse(side, `expected ${features.length} features, got ${f.length}`);
  for (let i = 0; i < f.length; i++) {
    const at = 8 * (first + i);
    const m = typedMoments(f.m, f.mStart[i]!, f.mStart[i + 1]!, side, i);
    checkMoments(m, `${side}.${i}.m`, moments, at);
    const expected = features[i]!.edges.length + 1;
    const h0 = f.hStart[i]!;
    const got = f.hStart[i + 1]! - h0;
    if (got !== expected) {
      refuse(`${side}.${i}.h`, `Histogram: counts: expected ${expected} counts, got ${got}`);
    }
    let total = 0;
    for (let k = h0; k < h0 + got; k++) total += f.h[k]!;
    if (total !== moments[at]! + moments[at + 6]! + moments[at + 7]!) {
      refuse(`${side}.${i}.h`, 'counts do not match moments');
    }
  }
}

const MOMENT_NAMES = ['n', 'mean', 'm2', 'min', 'max', 'nan', 'pinf', 'ninf'] as const;
// Reused by typedMoments (its result never outlives checkMoments).
const scratchFields: MomentsFields = [0, 0, 0, 0, 0, 0, 0, 0];

/** The zod checks of a Moments tuple `raw[from … to)` (as `Moments.fromTuple`), in field order. */
function typedMoments(
  raw: readonly unknown[],
  from: number,
  to: number,
  side: string,
  i: number,
): MomentsFields {
  const out = scratchFields;
  for (let k = 0; k < 8; k++) {
    const x = from + k < to ? raw[from + k] : undefined;
    if (k >= 5 && x === undefined) {
      out[k] = 0;
      continue;
    }
    const isNumber = typeof x === 'number' && Number.isFinite(x);
    const isCount = isNumber && Number.isInteger(x) && x >= 0 && x <= Number.MAX_SAFE_INTEGER;
    if (k === 0 || k >= 5 ? !isCount : !isNumber || (k === 2 && x < 0)) {
      refuse(`${side}.${i}.m.${MOMENT_NAMES[k]}`, `Moments: ${MOMENT_NAMES[k]}: invalid value`);
    }
    out[k] = x as number;
  }
  return out;
}

/** The semantic checks of `Moments.fromJSON`; writes the moments as a parsed `Moments` holds them. */
function checkMoments(j: MomentsFields, base: string, out: Float64Array, at: number): void {
  const [n, mean, m2, min, max] = j;
  if (n > 0) {
    if (!(min <= max)) refuse(`${base}.min`, 'Moments: min: expected min ≤ max');
    const slack = 1e-9 * Math.max(Math.abs(min), Math.abs(max));
    if (mean < min - slack || mean > max + slack)
      refuse(`${base}.mean`, 'Moments: mean: expected min ≤ mean ≤ max');
    out[at] = n;
    out[at + 1] = mean;
    out[at + 2] = m2;
    out[at + 3] = min;
    out[at + 4] = max;
  } else {
    if (mean !== 0 || m2 !== 0) refuse(`${base}.mean`, 'Moments: mean: expected mean = m2 = 0 when n = 0');
    out[at + 3] = Number.POSITIVE_INFINITY;
    out[at + 4] = Number.NEGATIVE_INFINITY;
  }
  out[at + 5] = j[5];
  out[at + 6] = j[6];
  out[at + 7] = j[7];
}

/** The checks of `CategoryCounts.fromJSON` and of merging into a sketch bounded to `max`. */
function checkCategories(c: CategoryWire, path: string, max: number): CategoryDelta {
  if (c.keys.length > c.max)
    refuse(`${path}.c`, `CategoryCounts: c: ${c.keys.length} categories exceed max ${c.max}`);
  const keys: string[] = [];
  const counts: number[] = [];
  const seen = c.keys.length > 16 ? new Set<string>() : undefined;
  for (let i = 0; i < c.keys.length; i++) {
    const k = c.keys[i]!;
    // As fromJSON: a key counts as seen only once it had a positive count.
    if (seen ? seen.has(k) : keys.includes(k)) {
      refuse(`${path}.c.${i}.0`, `CategoryCounts: duplicate key ${JSON.stringify(k)}`);
    }
    if (c.counts[i]! > 0) {
      keys.push(k);
      counts.push(c.counts[i]!);
      seen?.add(k);
    }
  }
  if (c.max !== max) refuse(path, `cannot merge max=${c.max} into max=${max}`, 'mismatch');
  return { keys, counts, other: c.other };
}

/** The checks of `DDSketch.fromJSON` and of merging into a sketch with the spec's parameters. */
function checkDDSketch(d: DDSketchWire, path: string, params: ProfileSpec['latency']): void {
  let length = 0;
  let binned = 0;
  for (const e of d.bins) {
    length += e < 0 ? -e : 1;
    if (length > d.maxBins)
      refuse(`${path}.bins`, `DDSketch: bins: expands to more than maxBins ${d.maxBins} bins`);
    if (e > 0) binned += e;
  }
  if (binned + d.zero !== d.count) {
    refuse(`${path}.count`, `DDSketch: count: count ${d.count} ≠ zero ${d.zero} + bins ${binned}`);
  }
  if (d.count > 0 && !(d.min >= 0 && d.min <= d.max))
    refuse(`${path}.min`, 'DDSketch: min: expected 0 ≤ min ≤ max');
  if (d.alpha !== params.relativeAccuracy) {
    refuse(path, `cannot merge α=${d.alpha} into α=${params.relativeAccuracy}`, 'mismatch');
  }
  if (d.maxBins !== params.maxBins) {
    refuse(path, `cannot merge maxBins=${d.maxBins} into maxBins=${params.maxBins}`, 'mismatch');
  }
}
