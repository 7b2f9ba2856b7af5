import type { ParseError, Result } from '../result';
import { fail, ok } from '../result';

/** Most elements {@link vectorFeatures} turns into features (a profile of more would not fit a report). */
export const MAX_VECTOR_FEATURES = 4096;

/** Numeric vector input accepted by {@link vectorFeatures}. */
export type NumericVector = ArrayLike<number>;

const defaultNames: string[] = [];

/** Names `x[0] … x[length−1]` as {@link vectorFeatures} uses them (cached strings, no per-call building). */
export function vectorFeatureNames(length: number): readonly string[] {
  const n = Math.min(Math.max(0, Math.floor(length) || 0), MAX_VECTOR_FEATURES);
  growNames(n);
  return defaultNames.slice(0, n);
}

function growNames(n: number): void {
  for (let i = defaultNames.length; i < n; i++) defaultNames.push(`x[${i}]`);
}

/**
 * One feature per element of a flat numeric input: `x[i]` by default or `names[i]`. Values pass
 * through unchanged (NaN included: the profile counts it as missing). Errors when `names` has another
 * length than `data` or `data` has more than {@link MAX_VECTOR_FEATURES} elements.
 * @example vectorFeatures(new Float32Array([0.5, 2])) // ok({ 'x[0]': 0.5, 'x[1]': 2 })
 */
export function vectorFeatures(
  data: NumericVector,
  names?: readonly string[],
  into: Record<string, number> = {},
): Result<Record<string, number>> {
  const n = data.length;
  if (!Number.isSafeInteger(n) || n > MAX_VECTOR_FEATURES) {
    return fail<ParseError>({
      kind: 'too_large',
      message: `expected at most ${MAX_VECTOR_FEATURES} elements, got ${n}`,
      path: 'data',
    });
  }
  if (names !== undefined && names.length !== n) {
    return fail<ParseError>({
      kind: 'invalid',
      message: `expected ${n} names (one per element), got ${names.length}`,
      path: 'names',
    });
  }
  if (names === undefined) growNames(n);
  const keys = names ?? defaultNames;
  for (let i = 0; i < n; i++) into[keys[i]!] = Number(data[i]);
  return ok(into);
}
