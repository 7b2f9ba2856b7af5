import type { FeatureSpec } from '../profile/spec';
import type { CapturePolicy, CaptureReason } from './policy';

/** What is known about one inference when the capture decision is made. */
export interface CaptureCandidate {
  /** The model's top-1 class, its confidence and margin; absent for a model without a readable top class. */
  top?: { label: string; confidence: number; margin: number };
  /** Input feature values of this inference, by feature name (those the profile measures). */
  features: Readonly<Record<string, number>>;
}

/**
 * The reasons (in {@link CAPTURE_REASONS} order) the policy captures this inference for; empty: not captured.
 * `inputs`: the baseline's input feature specs (their first and last edges bound the baseline range).
 * `random`: a uniform draw in [0, 1), injected so tests and simulations are seeded.
 * @example captureReasons({ lowConfidence: { below: 0.8 }, ... }, { top: { label: '0', confidence: 0.6, margin: 0.2 }, features: {} }, [], Math.random) // ['low_confidence']
 */
export function captureReasons(
  policy: CapturePolicy,
  candidate: CaptureCandidate,
  inputs: readonly FeatureSpec[],
  random: () => number,
): CaptureReason[] {
  const reasons: CaptureReason[] = [];
  const top = candidate.top;
  if (policy.lowConfidence && top && top.confidence < policy.lowConfidence.below)
    reasons.push('low_confidence');
  if (policy.lowMargin && top && top.margin < policy.lowMargin.below) reasons.push('low_margin');
  if (policy.outOfRange && outOfBaselineRange(policy.outOfRange.features, candidate.features, inputs)) {
    reasons.push('out_of_range');
  }
  // Drawn on every inference (not only when nothing else fired) so the ε-sample is uniform over all inferences.
  if (policy.random && random() < policy.random.rate) reasons.push('random');
  return reasons;
}

function outOfBaselineRange(
  names: readonly string[] | undefined,
  values: Readonly<Record<string, number>>,
  inputs: readonly FeatureSpec[],
): boolean {
  for (const spec of inputs) {
    if (names && !names.includes(spec.name)) continue;
    if (!Object.hasOwn(values, spec.name)) continue;
    const value = values[spec.name];
    if (value === undefined || !Number.isFinite(value)) continue;
    if (value < (spec.edges[0] as number) || value > (spec.edges[spec.edges.length - 1] as number))
      return true;
  }
  return false;
}
