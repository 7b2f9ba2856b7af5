import { fail, ok, type ParseError, type Result } from '../result';
import { CategoryCounts, categoryCountsJsonSchema } from '../sketches/category-counts';
import { DDSketch, ddSketchJsonSchema } from '../sketches/ddsketch';
import { Histogram, MAX_HISTOGRAM_EDGES } from '../sketches/histogram';
import { Moments, momentsJsonSchema, momentsTupleSchema } from '../sketches/moments';
import { countNumber, parseWire } from '../sketches/wire';
import { z } from '../zod';
import type { FeatureStats, Profile } from './profile';
import {
  MAX_INPUT_FEATURES,
  MAX_OUTPUT_FEATURES,
  type ProfileSpec,
  profileSpecSchema,
  specHash,
} from './spec';

// Sketches in a profile are validated twice (here loosely, then by their own fromJSON) so that
// an error names the full path, e.g. `inputs.3.m.mean`.
const featureJsonSchema = z.object({
  m: momentsTupleSchema,
  h: z.array(countNumber).check(z.maxLength(MAX_HISTOGRAM_EDGES + 1)),
});

/** Zod schema of a {@link ProfileJSON}; features are listed in spec order, without names. */
export const profileJsonSchema = z.object({
  v: z.literal(1),
  specHash: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
  spec: z.optional(profileSpecSchema),
  inferences: countNumber,
  unknownFeatures: countNumber,
  nullOutputs: countNumber,
  errors: categoryCountsJsonSchema,
  inputs: z.array(featureJsonSchema).check(z.maxLength(MAX_INPUT_FEATURES)),
  outputs: z.array(featureJsonSchema).check(z.maxLength(MAX_OUTPUT_FEATURES)),
  classes: categoryCountsJsonSchema,
  latency: z.object({ preprocess: ddSketchJsonSchema, infer: ddSketchJsonSchema, total: ddSketchJsonSchema }),
  shadow: z.object({ compared: countNumber, agreed: countNumber, maxAbsDiff: momentsJsonSchema }),
});

/** Wire form of a profile: `{ m: Moments tuple, h: histogram counts }` per feature, in spec order. */
export type ProfileJSON = Omit<z.infer<typeof profileJsonSchema>, 'inputs' | 'outputs' | 'spec'> & {
  spec?: ProfileSpec;
  inputs: FeatureJSON[];
  outputs: FeatureJSON[];
};

/** Wire form of one feature's statistics inside a {@link ProfileJSON}. */
export interface FeatureJSON {
  /** `[n, mean, m2, min, max, nan?, pinf?, ninf?]`: see `MomentsTuple`. */
  m: number[];
  h: number[];
}

/** Serialises a profile (used by `Profile.toJSON`). */
export function profileToJSON(p: Profile, includeSpec: boolean): ProfileJSON {
  const features = (m: ReadonlyMap<string, FeatureStats>) =>
    [...m.values()].map((f) => ({ m: f.moments.toTuple(), h: f.histogram.counts.slice() }));
  const json: ProfileJSON = {
    v: 1,
    specHash: p.specHash,
    inferences: p.inferences,
    unknownFeatures: p.unknownFeatures,
    nullOutputs: p.nullOutputs,
    errors: p.errorKinds.toJSON(),
    inputs: features(p.inputs),
    outputs: features(p.outputs),
    classes: p.classes.toJSON(),
    latency: {
      preprocess: p.latency.preprocess.toJSON(),
      infer: p.latency.infer.toJSON(),
      total: p.latency.total.toJSON(),
    },
    shadow: {
      compared: p.shadow.compared,
      agreed: p.shadow.agreed,
      maxAbsDiff: p.shadow.maxAbsDiff.toJSON(),
    },
  };
  if (includeSpec) json.spec = p.spec;
  return json;
}

const at = (path: string, e: ParseError): Result<never> =>
  fail({ ...e, path: e.path ? `${path}.${e.path}` : path, message: `Profile: ${path}: ${e.message}` });

/**
 * Parses a profile with zod and the sketches' own `fromJSON`: the reference that `Profile.fromJSON`'s
 * hand-written reader (profile-wire.ts, profile-delta.ts) is property-tested against. Never throws.
 */
export function profileFromJSON(
  json: unknown,
  given: ProfileSpec | undefined,
  create: (spec: ProfileSpec) => Profile,
): Result<Profile> {
  const parsed = parseWire(profileJsonSchema, json, 'Profile');
  if (!parsed.ok) return parsed;
  const j = parsed.value;
  try {
    const spec = given ?? (j.spec as ProfileSpec | undefined);
    if (!spec) {
      return fail({
        kind: 'invalid',
        path: 'spec',
        message: `Profile: spec: needed to read a profile of spec ${j.specHash}`,
      });
    }
    if (j.spec && given && specHash(j.spec as ProfileSpec) !== specHash(given)) {
      return fail({
        kind: 'mismatch',
        path: 'spec',
        message: 'Profile: spec: embedded spec differs from the given one',
      });
    }
    const hash = specHash(spec);
    if (hash !== j.specHash) {
      return fail({
        kind: 'mismatch',
        path: 'specHash',
        message: `Profile: specHash: ${j.specHash} ≠ spec's ${hash}`,
      });
    }
    return build(j, create(spec));
  } catch (e) {
    return fail({
      kind: 'invalid',
      message: `Profile: unreadable input (${(e as Error)?.message ?? 'error'})`,
    });
  }
}

function build(j: z.infer<typeof profileJsonSchema>, p: Profile): Result<Profile> {
  p.inferences = j.inferences;
  p.unknownFeatures = j.unknownFeatures;
  p.nullOutputs = j.nullOutputs;
  for (const side of ['inputs', 'outputs'] as const) {
    const into = [...p[side].values()];
    if (j[side].length !== into.length) {
      return fail({
        kind: 'invalid',
        path: side,
        message: `Profile: ${side}: expected ${into.length} features, got ${j[side].length}`,
      });
    }
    for (let i = 0; i < into.length; i++) {
      const f = into[i]!;
      const m = Moments.fromTuple(j[side][i]!.m);
      if (!m.ok) return at(`${side}.${i}.m`, m.error);
      const h = Histogram.fromJSON({ v: 1, edges: f.histogram.edges, counts: j[side][i]!.h });
      if (!h.ok) return at(`${side}.${i}.h`, { ...h.error, path: '' }); // `h` is the counts array itself
      if (h.value.total !== m.value.count + m.value.posInfCount + m.value.negInfCount) {
        return fail({
          kind: 'invalid',
          path: `${side}.${i}.h`,
          message: `Profile: ${side}.${i}.h: counts do not match moments`,
        });
      }
      f.moments.merge(m.value);
      f.histogram.merge(h.value);
    }
  }
  const failed =
    mergeInto('errors', CategoryCounts.fromJSON(j.errors), p.errorKinds) ??
    mergeInto('classes', CategoryCounts.fromJSON(j.classes), p.classes) ??
    mergeInto('latency.preprocess', DDSketch.fromJSON(j.latency.preprocess), p.latency.preprocess) ??
    mergeInto('latency.infer', DDSketch.fromJSON(j.latency.infer), p.latency.infer) ??
    mergeInto('latency.total', DDSketch.fromJSON(j.latency.total), p.latency.total) ??
    mergeInto('shadow.maxAbsDiff', Moments.fromJSON(j.shadow.maxAbsDiff), p.shadow.maxAbsDiff);
  if (failed) return failed;
  if (j.shadow.agreed > j.shadow.compared) {
    return fail({
      kind: 'invalid',
      path: 'shadow.agreed',
      message: 'Profile: shadow.agreed: exceeds compared',
    });
  }
  p.shadow.compared = j.shadow.compared;
  p.shadow.agreed = j.shadow.agreed;
  return ok(p);
}

/** Merges a parsed part into the fresh profile's; a parameter mismatch becomes a `mismatch` error. */
function mergeInto<T extends { merge(other: T): unknown }>(
  path: string,
  r: Result<T>,
  into: T,
): Result<never> | undefined {
  if (!r.ok) return at(path, r.error);
  try {
    into.merge(r.value);
    return undefined;
  } catch (e) {
    return fail({ kind: 'mismatch', path, message: `Profile: ${path}: ${(e as Error).message}` });
  }
}
