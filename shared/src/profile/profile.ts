import { fail, ok, type Result } from '../result';
import { CategoryCounts } from '../sketches/category-counts';
import { DDSketch } from '../sketches/ddsketch';
import { SketchMismatchError } from '../sketches/errors';
import { Histogram } from '../sketches/histogram';
import { Moments } from '../sketches/moments';
import {
  checkProfileWire,
  type ProfileDelta,
  profileDeltaOf,
  readProfileShape,
  resolveSpec,
} from './profile-delta';
import { type ProfileJSON, profileToJSON } from './profile-json';
import { isUsableFeatureName, MAX_ERROR_KINDS, maxClassCategories, type ProfileSpec, specHash } from './spec';

export { MAX_ERROR_KINDS };

/** Stages whose latency a profile sketches. */
export type LatencyStage = 'preprocess' | 'infer' | 'total';
/** The latency stages, in report order. */
export const LATENCY_STAGES: readonly LatencyStage[] = ['preprocess', 'infer', 'total'];

/** Statistics of one feature: moments (NaN/absent = missing) and counts over the baseline's edges. */
export interface FeatureStats {
  readonly name: string;
  readonly moments: Moments;
  readonly histogram: Histogram;
}

/** Shadow comparison counters: how often candidate and current agreed, and how far apart outputs were. */
export interface ShadowStats {
  compared: number;
  agreed: number;
  readonly maxAbsDiff: Moments;
}

/**
 * One window's (or a baseline's, or a merged fleet's) statistics under one {@link ProfileSpec}.
 *
 * What it observes, per inference:
 * - `observeInputs(features)`: counts one inference. For every spec input, an absent or NaN
 *   value is *missing* (Moments.nanCount); a finite value goes to moments and histogram;
 *   ±Infinity is counted by the moments' infinity counters and lands in under/overflow.
 *   *Out of range* = below the first edge or at/above the last edge (the baseline builder puts
 *   them at the baseline min and just above its max), i.e. histogram under- plus overflow.
 *   Names not in the spec are ignored but counted in `unknownFeatures`.
 * - `observeOutputs(features | null)`: the same over spec outputs; `null` counts a null output.
 * - `observeClass(label)`: top-1 label (or index into `spec.classes`); labels outside known
 *   classes go to `classes.other`.
 * - `observeLatency(stage, ms)`, `recordError(kind)`, `observeShadow(agreed, maxAbsDiff)`.
 * @example const p = new Profile(spec); p.observeInputs({ brightness: 0.4 }); p.toJSON();
 */
export class Profile {
  readonly spec: ProfileSpec;
  readonly specHash: string;
  /** observeInputs calls. */
  inferences = 0;
  /** Feature names seen that the spec does not know (inputs and outputs). */
  unknownFeatures = 0;
  nullOutputs = 0;
  readonly errorKinds = new CategoryCounts({ maxCategories: MAX_ERROR_KINDS });
  readonly inputs = new Map<string, FeatureStats>();
  readonly outputs = new Map<string, FeatureStats>();
  readonly classes: CategoryCounts;
  readonly latency: Readonly<Record<LatencyStage, DDSketch>>;
  readonly shadow: ShadowStats = { compared: 0, agreed: 0, maxAbsDiff: new Moments() };
  private readonly inputList: FeatureStats[];
  private readonly outputList: FeatureStats[];
  private readonly knownClasses: ReadonlySet<string> | undefined;

  /** Throws RangeError on an unusable feature name or invalid edges (parse untrusted specs first). */
  constructor(spec: ProfileSpec) {
    for (const f of [...spec.inputs, ...spec.outputs]) {
      if (!isUsableFeatureName(f.name))
        throw new RangeError(`unusable feature name ${JSON.stringify(f.name)}`);
    }
    this.spec = spec;
    this.specHash = specHash(spec);
    this.inputList = spec.inputs.map((f) => featureStats(f.name, f.edges));
    this.outputList = spec.outputs.map((f) => featureStats(f.name, f.edges));
    for (const f of this.inputList) this.inputs.set(f.name, f);
    for (const f of this.outputList) this.outputs.set(f.name, f);
    this.knownClasses = spec.classes ? new Set(spec.classes) : undefined;
    this.classes = new CategoryCounts({ maxCategories: maxClassCategories(spec) });
    const { relativeAccuracy, maxBins } = spec.latency;
    this.latency = {
      preprocess: new DDSketch({ relativeAccuracy, maxBins }),
      infer: new DDSketch({ relativeAccuracy, maxBins }),
      total: new DDSketch({ relativeAccuracy, maxBins }),
    };
  }

  /** Missing (absent or NaN) input values, summed over input features. */
  get missing(): number {
    let n = 0;
    for (const f of this.inputList) n += f.moments.nanCount;
    return n;
  }

  /** Input values outside the baseline range (histogram under- plus overflow), summed over features. */
  get outOfRange(): number {
    let n = 0;
    for (const f of this.inputList) n += f.histogram.outOfRange;
    return n;
  }

  /** Errors by kind, as a plain record (`errorKinds` holds the sketch). */
  get errors(): Record<string, number> {
    const out = Object.fromEntries(this.errorKinds.counts);
    if (this.errorKinds.other) out.other = (out.other ?? 0) + this.errorKinds.other;
    return out;
  }

  /** All errors recorded. */
  get errorCount(): number {
    return this.errorKinds.total;
  }

  /** Observes one inference's input features (see class doc). */
  observeInputs(values: Readonly<Record<string, number>>): void {
    this.inferences++;
    this.unknownFeatures += observeFeatures(this.inputList, values);
  }

  /**
   * Observes one inference's inputs given as values in `spec.inputs` order (no name lookups:
   * the fastest path for vector models); NaN is missing. Counts one inference.
   */
  observeInputValues(values: ArrayLike<number>): void {
    this.inferences++;
    const list = this.inputList;
    for (let i = 0; i < list.length; i++) observeValue(list[i]!, i < values.length ? values[i]! : Number.NaN);
  }

  /** Observes one inference's output features; `null` counts a null output. */
  observeOutputs(values: Readonly<Record<string, number>> | null): void {
    if (values === null) this.nullOutputs++;
    else this.unknownFeatures += observeFeatures(this.outputList, values);
  }

  /** Counts a top-1 label, or an index into `spec.classes`; unknown labels count as `other`. */
  observeClass(label: string | number): void {
    if (typeof label === 'number') {
      const name = this.spec.classes?.[label];
      if (name !== undefined) this.classes.add(name);
      else if (this.knownClasses) this.classes.addOther();
      else this.classes.add(String(label));
    } else if (this.knownClasses && !this.knownClasses.has(label)) {
      this.classes.addOther();
    } else {
      this.classes.add(label);
    }
  }

  /** Adds a latency in milliseconds to the stage's DDSketch (negative/NaN counted as invalid). */
  observeLatency(stage: LatencyStage, ms: number): void {
    this.latency[stage].add(ms);
  }

  /** Counts an error of `kind` (e.g. `infer`, `preprocess`, `timeout`); ≤ 32 kinds, then `other`. */
  recordError(kind: string): void {
    this.errorKinds.add(kind);
  }

  /** Counts one shadow comparison. */
  observeShadow(agreed: boolean, maxAbsDiff: number): void {
    this.shadow.compared++;
    if (agreed) this.shadow.agreed++;
    this.shadow.maxAbsDiff.add(maxAbsDiff);
  }

  /** Adds `other` into this profile; throws {@link SketchMismatchError} (`field: 'specHash'`) on another spec. */
  merge(other: Profile): this {
    if (other.specHash !== this.specHash) {
      throw new SketchMismatchError(
        'specHash',
        `cannot merge profile of spec ${other.specHash} into ${this.specHash}`,
      );
    }
    this.inferences += other.inferences;
    this.unknownFeatures += other.unknownFeatures;
    this.nullOutputs += other.nullOutputs;
    this.errorKinds.merge(other.errorKinds);
    mergeFeatures(this.inputList, other.inputList);
    mergeFeatures(this.outputList, other.outputList);
    this.classes.merge(other.classes);
    for (const stage of LATENCY_STAGES) this.latency[stage].merge(other.latency[stage]);
    this.shadow.compared += other.shadow.compared;
    this.shadow.agreed += other.shadow.agreed;
    this.shadow.maxAbsDiff.merge(other.shadow.maxAbsDiff);
    return this;
  }

  /** An independent copy (sharing the immutable spec). */
  clone(): Profile {
    return new Profile(this.spec).merge(this);
  }

  /** Compact, versioned JSON carrying `specHash`; the spec itself only with `{ includeSpec: true }`. */
  toJSON(options: { includeSpec?: boolean } = {}): ProfileJSON {
    return profileToJSON(this, options.includeSpec === true);
  }

  /**
   * Adds a checked report (see {@link ProfileDelta}): the same as merging `Profile.fromJSON` of its
   * JSON, without building that profile. Throws {@link SketchMismatchError} on another spec.
   */
  mergeDelta(delta: ProfileDelta): this {
    if (delta.specHash !== this.specHash) {
      throw new SketchMismatchError(
        'specHash',
        `cannot merge profile of spec ${delta.specHash} into ${this.specHash}`,
      );
    }
    this.inferences += delta.inferences;
    this.unknownFeatures += delta.unknownFeatures;
    this.nullOutputs += delta.nullOutputs;
    this.errorKinds.mergeEntries(delta.errors.keys, delta.errors.counts, delta.errors.other);
    let offset = mergeFeatureDeltas(this.inputList, delta, 0, 0);
    offset = mergeFeatureDeltas(this.outputList, delta, this.inputList.length, offset);
    this.classes.mergeEntries(delta.classes.keys, delta.classes.counts, delta.classes.other);
    for (let s = 0; s < LATENCY_STAGES.length; s++) {
      const d = delta.latency[s]!;
      this.latency[LATENCY_STAGES[s]!].mergeEncoded(
        d.count,
        d.zero,
        d.invalid,
        d.sum,
        d.min,
        d.max,
        d.key0,
        d.bins,
      );
    }
    this.shadow.compared += delta.compared;
    this.shadow.agreed += delta.agreed;
    this.shadow.maxAbsDiff.merge(momentsAt(delta.maxAbsDiff, 0));
    return this;
  }

  /**
   * Parses a {@link ProfileJSON}. The spec comes from the JSON (`spec`) or from `spec`; its hash
   * must equal `specHash` (error kind `mismatch` otherwise). Never throws.
   */
  static fromJSON(json: unknown, spec?: ProfileSpec): Result<Profile> {
    const shape = readProfileShape(json);
    if (!shape.ok) return shape;
    const resolved = resolveSpec(shape.value, spec);
    if (!resolved.ok) return resolved;
    let profile: Profile;
    try {
      profile = new Profile(resolved.value);
    } catch (e) {
      return fail({ kind: 'invalid', message: `Profile: unreadable input (${(e as Error).message})` });
    }
    const delta = checkProfileWire(shape.value, resolved.value);
    return delta.ok ? ok(profile.mergeDelta(delta.value)) : delta;
  }
}

/**
 * Checks a report's {@link ProfileJSON} against `profile`'s spec and, only if all of it is valid, adds it
 * to `profile` (untouched otherwise): `profile.merge(Profile.fromJSON(json, profile.spec))` without the
 * intermediate profile. Never throws.
 * @example const r = mergeJsonInto(hourly, JSON.parse(text)); if (!r.ok) log(r.error.path);
 */
export function mergeJsonInto(profile: Profile, json: unknown): Result<Profile> {
  const delta = profileDeltaOf(json, profile.spec);
  return delta.ok ? ok(profile.mergeDelta(delta.value)) : delta;
}

// Reused by mergeDelta (never escapes it): a Moments view of 8 numbers of a delta.
const scratchMoments = new Moments();

function momentsAt(values: Float64Array, at: number): Moments {
  const m = scratchMoments;
  m.count = values[at]!;
  m.mean = values[at + 1]!;
  m.m2 = values[at + 2]!;
  m.min = values[at + 3]!;
  m.max = values[at + 4]!;
  m.nanCount = values[at + 5]!;
  m.posInfCount = values[at + 6]!;
  m.negInfCount = values[at + 7]!;
  return m;
}

/** Merges one side's features of a delta; returns the offset of the next side's counts. */
function mergeFeatureDeltas(
  list: readonly FeatureStats[],
  delta: ProfileDelta,
  first: number,
  offset: number,
): number {
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    f.moments.merge(momentsAt(delta.moments, 8 * (first + i)));
    f.histogram.addCounts(delta.counts, offset);
    offset += f.histogram.counts.length;
  }
  return offset;
}

function featureStats(name: string, edges: readonly number[]): FeatureStats {
  return { name, moments: new Moments(), histogram: new Histogram(edges) };
}

/** Adds each spec feature's value; returns how many names of `values` the spec does not know. */
function observeFeatures(list: readonly FeatureStats[], values: Readonly<Record<string, number>>): number {
  let present = 0;
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    const x = values[f.name];
    if (x === undefined) {
      f.moments.nanCount++;
      continue;
    }
    present++;
    observeValue(f, x);
  }
  // Plain for-in is ~30× cheaper than guarding each key with Object.hasOwn; feature records are
  // plain objects, so only an enumerable property added to Object.prototype would be miscounted.
  let keys = 0;
  for (const _ in values) keys++;
  return keys - present;
}

/** Missing (NaN or not a number) goes to nanCount only; anything else to moments and histogram. */
function observeValue(f: FeatureStats, x: number): void {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    f.moments.nanCount++;
    return;
  }
  f.moments.add(x);
  f.histogram.add(x);
}

function mergeFeatures(into: readonly FeatureStats[], from: readonly FeatureStats[]): void {
  for (let i = 0; i < into.length; i++) {
    into[i]!.moments.merge(from[i]!.moments);
    into[i]!.histogram.merge(from[i]!.histogram);
  }
}
