export { type BaselineOptions, type BaselineSample, buildBaseline, nextUp } from './baseline';
export {
  type FeatureStats,
  LATENCY_STAGES,
  type LatencyStage,
  MAX_ERROR_KINDS,
  mergeJsonInto,
  Profile,
  type ShadowStats,
} from './profile';
export { type CategoryDelta, type ProfileDelta, profileDeltaOf } from './profile-delta';
export { type FeatureJSON, type ProfileJSON, profileJsonSchema } from './profile-json';
export {
  canonicalSpecJson,
  type FeatureSpec,
  MAX_BASELINE_BINS,
  MAX_CLASSES,
  MAX_INPUT_FEATURES,
  MAX_OUTPUT_FEATURES,
  type ProfileSpec,
  parseProfileSpec,
  profileSpecSchema,
  specHash,
} from './spec';
