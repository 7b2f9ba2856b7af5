import { z } from '../zod';
import { countSchema } from './primitives';

/**
 * Bins of the calibration counts: equal-width on [0, 1] (bin `b` holds top-1 confidences in
 * [b/10, (b+1)/10), the last one also 1). Fixed, so every client counts into the same bins and merging is
 * addition; a different count would need a new protocol field.
 */
export const CALIBRATION_BINS = 10;

const binCounts = z.array(countSchema).check(z.length(CALIBRATION_BINS));
const binSums = z
  .array(z.number().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)))
  .check(z.length(CALIBRATION_BINS));

/**
 * Top-1 confidence per fixed bin, as mergeable sums. Label-free: `routed[b]` inferences whose confidence
 * fell in bin `b` and their confidence sum `routedConfidence[b]` (mean top-1 confidence, the label-free
 * accuracy estimate). With labels: `labelled[b]` labelled predictions in bin `b` (by the confidence of the
 * prediction that was labelled), `correct[b]` of them right, and their confidence sum — the reliability
 * diagram and the expected calibration error. Only predictions with a finite confidence are counted.
 */
export const calibrationSchema = z
  .strictObject({
    routed: binCounts,
    routedConfidence: binSums,
    labelled: binCounts,
    correct: binCounts,
    labelledConfidence: binSums,
  })
  .check(
    z.superRefine((c, ctx) => {
      const problem = calibrationProblem(c);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
    }),
  );
/** Calibration counts of one window and model version (see {@link calibrationSchema}). */
export type Calibration = z.infer<typeof calibrationSchema>;

/** The bin of a top-1 confidence; undefined for a confidence that is not a number in [0, 1]. */
export function calibrationBin(confidence: number): number | undefined {
  if (!Number.isFinite(confidence) || confidence < 0 || confidence > 1) return undefined;
  return Math.min(CALIBRATION_BINS - 1, Math.floor(confidence * CALIBRATION_BINS));
}

/** Empty calibration counts. */
export function emptyCalibration(): Calibration {
  const zeros = () => Array.from({ length: CALIBRATION_BINS }, () => 0);
  return {
    routed: zeros(),
    routedConfidence: zeros(),
    labelled: zeros(),
    correct: zeros(),
    labelledConfidence: zeros(),
  };
}

/** Counts one inference's top-1 confidence (label-free); false when the confidence is not in [0, 1]. */
export function countRoutedConfidence(c: Calibration, confidence: number): boolean {
  const b = calibrationBin(confidence);
  if (b === undefined) return false;
  c.routed[b]!++;
  c.routedConfidence[b]! += confidence;
  return true;
}

/** Counts one label of a prediction made with `confidence`; false when the confidence is not in [0, 1]. */
export function countLabelledConfidence(c: Calibration, confidence: number, correct: boolean): boolean {
  const b = calibrationBin(confidence);
  if (b === undefined) return false;
  c.labelled[b]!++;
  if (correct) c.correct[b]!++;
  c.labelledConfidence[b]! += confidence;
  return true;
}

/** The sum of two calibrations (a new object). */
export function mergeCalibration(a: Calibration, b: Calibration): Calibration {
  const add = (x: number[], y: number[]) => x.map((v, i) => v + (y[i] ?? 0));
  return {
    routed: add(a.routed, b.routed),
    routedConfidence: add(a.routedConfidence, b.routedConfidence),
    labelled: add(a.labelled, b.labelled),
    correct: add(a.correct, b.correct),
    labelledConfidence: add(a.labelledConfidence, b.labelledConfidence),
  };
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

// Sums of floating-point confidences drift by a few ulps per addition; this tolerance is far below any forgery
// that matters (a confidence sum outside its bin's range by more than 1e-9 per counted prediction).
const slack = (n: number) => 1e-9 * (n + 1);

// The invariants a forged calibration breaks on its own; undefined when consistent.
function calibrationProblem(c: Calibration): { message: string; path: (string | number)[] } | undefined {
  for (let b = 0; b < CALIBRATION_BINS; b++) {
    if (c.correct[b]! > c.labelled[b]!)
      return { message: `expected correct[${b}] <= labelled[${b}]`, path: ['correct', b] };
    const lo = b / CALIBRATION_BINS;
    const hi = (b + 1) / CALIBRATION_BINS;
    for (const [sums, counts, name] of [
      [c.routedConfidence, c.routed, 'routed'],
      [c.labelledConfidence, c.labelled, 'labelled'],
    ] as const) {
      const s = sums[b]!;
      const n = counts[b]!;
      if (s < lo * n - slack(n) || s > hi * n + slack(n))
        return {
          message: `expected ${name}Confidence[${b}] (${s}) between ${lo.toFixed(1)} and ${hi.toFixed(1)} × ${name}[${b}] (${n}): bin ${b} holds confidences in [${lo.toFixed(1)}, ${hi.toFixed(1)}]`,
          path: [`${name}Confidence`, b],
        };
    }
  }
  return undefined;
}

/**
 * The calibration's problem against the aggregate it travels in (totals of routed, labelled, correct and
 * wrong predictions); undefined when consistent. Counts may fall short of the totals (a prediction without a
 * finite confidence is not binned) but never exceed them.
 */
export function calibrationTotalsProblem(
  c: Calibration,
  totals: { routed: number; labelled: number; correct: number },
): { message: string; path: (string | number)[] } | undefined {
  const routed = sum(c.routed);
  if (routed > totals.routed)
    return {
      message: `expected calibration.routed (${routed} in all) <= routed.auto + routed.review (${totals.routed})`,
      path: ['calibration', 'routed'],
    };
  const labelled = sum(c.labelled);
  if (labelled > totals.labelled)
    return {
      message: `expected calibration.labelled (${labelled} in all) <= the matrix total (${totals.labelled})`,
      path: ['calibration', 'labelled'],
    };
  const correct = sum(c.correct);
  if (correct > totals.correct)
    return {
      message: `expected calibration.correct (${correct} in all) <= the matrix diagonal (${totals.correct})`,
      path: ['calibration', 'correct'],
    };
  if (labelled - correct > totals.labelled - totals.correct)
    return {
      message: `expected calibration's wrong labels (${labelled - correct}) <= the matrix's off-diagonal total (${totals.labelled - totals.correct})`,
      path: ['calibration', 'labelled'],
    };
  return undefined;
}
