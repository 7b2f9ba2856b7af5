import { murmur3x86_32 } from './murmur3';

export { murmur3x86_32 } from './murmur3';

/** Number of buckets targets are split into; one bucket is 0.01 %. */
export const BUCKET_COUNT = 10_000;

const encoder = new TextEncoder();

/**
 * Deterministic rollout bucket of a target in [0, 10000):
 * `murmur3x86_32(utf8(targetId), seed = murmur3x86_32(utf8(salt), 0)) mod 10000`.
 * Hashing the salt into the seed keeps `(salt, id)` pairs unambiguous without a separator, and gives each
 * rollout an independent split. Python: `mmh3.hash(id, mmh3.hash(salt, 0, signed=False), signed=False) % 10000`.
 * Strings are hashed as given (no Unicode normalisation); a lone surrogate encodes as U+FFFD, as TextEncoder does.
 * @example bucketOf('station-7', 'r-42') // 3115 on the server, the agent and every browser
 */
export const bucketOf = (targetId: string, salt: string): number => {
  const seed = murmur3x86_32(encoder.encode(salt), 0);
  return murmur3x86_32(encoder.encode(targetId), seed) % BUCKET_COUNT;
};

/**
 * Buckets below which a target is in a stage of `percent` (0..100, steps of 0.01): `round(percent * 100)`,
 * rounded so that floating point (`0.07 * 100 = 7.000000000000001`) never adds a bucket. Clamped to [0, 10000].
 */
export const stageThreshold = (percent: number): number => {
  if (!(percent > 0)) return 0;
  return Math.min(BUCKET_COUNT, Math.round(percent * 100));
};

/** Whether a target is in a stage covering `percent` % of targets: `bucketOf(targetId, salt) < stageThreshold(percent)`. */
export const inStage = (targetId: string, salt: string, percent: number): boolean =>
  bucketOf(targetId, salt) < stageThreshold(percent);
