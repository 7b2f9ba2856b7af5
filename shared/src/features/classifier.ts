import type { ParseError, Result } from '../result';
import { fail, ok } from '../result';

/** How to read classifier scores: detect, or force probabilities / logits (softmax, sigmoid for K = 1). */
export type ClassifierScores = 'auto' | 'probabilities' | 'logits';

/** Options of {@link classifierFeatures}. */
export interface ClassifierFeatureOptions {
  /** Default 'auto': probabilities when every score is in [0, 1] and they sum to 1 ± {@link PROBABILITY_SUM_TOLERANCE}. */
  scores?: ClassifierScores;
  /** Batch item to read for `[N, K]` outputs with N > 1 (required there; default 0 when N = 1). */
  item?: number;
}

/**
 * Output features of a classifier: top-1 class index, its probability, and its lead over the runner-up.
 * A type alias (not an interface) so it is assignable to `Record<string, number>` for `observeOutputs`.
 */
export type ClassifierFeatures = {
  top1: number;
  confidence: number;
  margin: number;
};

/** Output feature names, in the order a profile spec lists them. */
export const CLASSIFIER_FEATURES = ['confidence', 'margin'] as const;

/** How far from 1 the scores may sum and still be taken as probabilities ('auto' mode). */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;

const invalid = (message: string, path: string): Result<never> =>
  fail<ParseError>({ kind: 'invalid', message, path });

/**
 * Top-1 index, confidence (max probability) and margin (top-1 − top-2 probability) of a classifier
 * output shaped `[K]`, `[N, K]` or `[N, K, 1, 1]`-like (all dims after the first multiply to K). Scores
 * that are not probabilities (one outside [0, 1], or a sum off 1 by more than the tolerance) go through
 * a max-subtracted softmax; `opts.scores` forces either reading (a logit vector that happens to look
 * like probabilities is read as probabilities in 'auto'). K = 1 is a binary classifier whose score is
 * P(class 1) (sigmoid if a logit): top1 = 1 when P ≥ 0.5, confidence = max(P, 1 − P), margin = |2P − 1|.
 * Ties go to the lowest index. NaN or +Inf scores are an error, not a feature (count them as null outputs).
 * @example classifierFeatures(logits, [1, 1000]) // ok({ top1: 281, confidence: 0.62, margin: 0.41 })
 */
export function classifierFeatures(
  output: Float32Array | Float64Array,
  dims: readonly number[],
  opts: ClassifierFeatureOptions = {},
): Result<ClassifierFeatures> {
  if (!Array.isArray(dims) || dims.length === 0) return invalid('expected at least one dim', 'dims');
  let total = 1;
  for (const d of dims) {
    if (!(Number.isSafeInteger(d) && d >= 0))
      return invalid(`expected non-negative integer dims, got [${dims}]`, 'dims');
    total *= d;
  }
  if (total !== output.length)
    return invalid(`dims [${dims}] hold ${total} values but output has ${output.length}`, 'dims');
  const n = dims.length === 1 ? 1 : dims[0]!;
  const k = dims.length === 1 ? dims[0]! : total / n;
  if (n === 0 || k === 0) return invalid(`expected at least one item and one class, got [${dims}]`, 'dims');
  const item = opts.item ?? 0;
  if (!(Number.isSafeInteger(item) && item >= 0 && item < n) || (opts.item === undefined && n > 1)) {
    return invalid(`expected opts.item in 0..${n - 1} for a batch of ${n}, got ${opts.item}`, 'opts.item');
  }
  return scoreFeatures(output, item * k, k, opts.scores ?? 'auto');
}

function scoreFeatures(
  d: Float32Array | Float64Array,
  start: number,
  k: number,
  scores: ClassifierScores,
): Result<ClassifierFeatures> {
  let top1 = start;
  let m1 = d[start]!;
  let m2 = Number.NEGATIVE_INFINITY;
  let sum = m1;
  let inUnit = m1 >= 0 && m1 <= 1;
  const end = start + k;
  for (let i = start + 1; i < end; i++) {
    const v = d[i]!;
    sum += v;
    if (v > m1) {
      m2 = m1;
      m1 = v;
      top1 = i;
    } else if (v > m2) {
      m2 = v;
    }
    if (v < 0 || v > 1) inUnit = false;
  }
  if (Number.isNaN(sum) || m1 === Number.POSITIVE_INFINITY) {
    return invalid('expected finite scores, got NaN or +Infinity', 'output');
  }
  const probs =
    scores === 'probabilities' ||
    (scores === 'auto' && inUnit && (k === 1 || Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE));
  if (k === 1) {
    const p = probs ? m1 : m1 >= 0 ? 1 / (1 + Math.exp(-m1)) : Math.exp(m1) / (1 + Math.exp(m1));
    return ok({ top1: p >= 0.5 ? 1 : 0, confidence: Math.max(p, 1 - p), margin: Math.abs(2 * p - 1) });
  }
  if (probs) return ok({ top1: top1 - start, confidence: m1, margin: m1 - m2 });
  let z = 0;
  for (let i = start; i < end; i++) z += Math.exp(d[i]! - m1);
  return ok({ top1: top1 - start, confidence: 1 / z, margin: (1 - Math.exp(m2 - m1)) / z });
}
