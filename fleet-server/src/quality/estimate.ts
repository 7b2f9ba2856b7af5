import { CALIBRATION_BINS, type FeedbackAggregate } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { checkCalibration, estimateAccuracy } from '@edgefleet/shared/stats';
import { proportion, QUALITY_CONFIDENCE } from './proportion';

/** What the two estimates assume, said with every answer. */
export const ESTIMATE_ASSUMES =
  'labelFree: the model is calibrated on the data it sees now (its top-1 confidence is the chance it is right), ' +
  'which concept drift and strong data drift break; calibrated: operator labels are a random sample of the ' +
  'predictions within each confidence bin. Intervals are sampling noise under those assumptions.';

/** The calibration check flags a calibrated model with at most this probability. */
export const CALIBRATION_ALPHA = 0.01;

/** Estimated accuracy, reliability bins and calibration check of a summed aggregate. */
export function calibrationViews(
  sum: FeedbackAggregate | undefined,
): Pick<VersionQuality, 'estimated' | 'reliability' | 'calibrationCheck'> {
  const c = sum?.calibration;
  if (!c) return { estimated: null, reliability: [], calibrationCheck: null };
  const e = estimateAccuracy(c, QUALITY_CONFIDENCE);
  const check = checkCalibration(c, { alpha: CALIBRATION_ALPHA });
  const mean = (s: number, n: number) => (n === 0 ? null : s / n);
  return {
    estimated: {
      inferences: e.inferences,
      labelFree: e.labelFree,
      calibrated: e.calibrated,
      assumes: ESTIMATE_ASSUMES,
    },
    reliability: c.routed.map((routed, b) => ({
      lower: b / CALIBRATION_BINS,
      upper: (b + 1) / CALIBRATION_BINS,
      routed,
      meanConfidence: mean(c.routedConfidence[b]!, routed),
      labelled: c.labelled[b]!,
      accuracy: proportion(c.correct[b]!, c.labelled[b]!),
      meanLabelledConfidence: mean(c.labelledConfidence[b]!, c.labelled[b]!),
    })),
    calibrationCheck: check.labelled === 0 ? null : check,
  };
}

/** Mean top-1 confidence of an aggregate's binned inferences (label-free estimated accuracy); null without any. */
export function meanConfidence(sum: FeedbackAggregate | undefined): number | null {
  const c = sum?.calibration;
  if (!c) return null;
  const n = c.routed.reduce((a, x) => a + x, 0);
  return n === 0 ? null : Math.min(1, c.routedConfidence.reduce((a, x) => a + x, 0) / n);
}
