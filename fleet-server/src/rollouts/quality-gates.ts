import {
  clopperPearson,
  type Interval,
  moverDifference,
  stratifiedProportion,
} from '@edgefleet/shared/stats';
import { coverage, type GateInterval, type Levels, rateInterval } from './gate-tests';
import type { Gates, PendingGate } from './gates';
import type { QualityCounts } from './types';

// Quality gates judge the candidate against the control cohort (the targets still on the baseline version, same
// window): a bad model and a changed world (the operators' rule, the parts, the light) move both cohorts alike, so
// only the difference says the candidate answers worse. Each gate is a difference of two rates with a MOVER interval
// (Zou & Donner) over the two cohorts' exact Clopper-Pearson intervals; its threshold is the effect that matters
// (accuracy may drop at most 0.02), tested one-sided like every gate (see `evaluateGates`).

/** Default of {@link Gates.minLabels} and {@link Gates.minStepUpReviews}. */
export const DEFAULT_MIN_LABELS = 100;
/** Default of {@link Gates.minStepUpAgreement}. */
export const DEFAULT_MIN_STEP_UP_AGREEMENT = 0.95;

/** A rate: successes of trials, and its interval at a confidence (exact Clopper-Pearson unless stratified). */
interface Rate {
  x: number;
  n: number;
  interval?: (confidence: number) => Interval;
}

/**
 * Interval of rate `a` minus rate `b` (independent cohorts): MOVER over Clopper-Pearson intervals. The lower bound
 * takes both cohorts' intervals at `levels.lower`, the upper at `levels.upper` (each one-sided test its own level).
 * Null when either cohort has fewer than `minTrials` trials (too few labels: the gate waits). `n` and `controlN` are
 * the trials of the candidate's and the control's rate (`candidate`: which of a and b is the candidate's).
 */
export function rateDifferenceInterval(
  a: Rate,
  b: Rate,
  levels: Levels,
  minTrials: number,
  candidate: 'a' | 'b' = 'a',
): GateInterval | null {
  if (!(a.n >= Math.max(1, minTrials) && b.n >= Math.max(1, minTrials))) return null;
  const of = (r: Rate, confidence: number) =>
    r.interval?.(confidence) ?? clopperPearson(r.x, r.n, confidence);
  const at = (confidence: number) => moverDifference(of(a, confidence), of(b, confidence));
  const low = at(levels.lower);
  const high = levels.upper === levels.lower ? low : at(levels.upper);
  return {
    estimate: low.estimate,
    lower: low.lower,
    upper: high.upper,
    confidence: coverage(levels),
    test: 'mover-difference',
    n: candidate === 'a' ? a.n : b.n,
    controlN: candidate === 'a' ? b.n : a.n,
  };
}

/**
 * Accuracy over every inference of a cohort, stratified by decision route: operators label every prediction routed
 * to review but spot-check only some of those the model decided alone, so the plain rate over the labels weighs the
 * hard cases far too much — and a cohort at `partial` (its unsure answers reviewed) would look worse than a control
 * at `full` with the same model. Each route's rate is weighted by its share of the cohort's inferences
 * (`stratifiedProportion`); a route with inferences but no label leaves the accuracy undecided.
 */
const accuracy = (q: QualityCounts): Rate => ({
  x: q.correct,
  n: q.labelled,
  interval: (confidence) =>
    stratifiedProportion(
      [
        { size: q.routedReview, sampled: q.reviewLabelled, successes: q.reviewCorrect },
        {
          size: q.routedAuto,
          sampled: q.labelled - q.reviewLabelled,
          successes: q.correct - q.reviewCorrect,
        },
      ],
      confidence,
    ),
});
const agreement = (q: QualityCounts): Rate => ({ x: q.reviewCorrect, n: q.reviewLabelled });
const reviewShare = (q: QualityCounts): Rate => ({ x: q.routedReview, n: q.routedAuto + q.routedReview });

/**
 * The configured quality gates, candidate vs control: `quality.accuracyDrop` (control's accuracy minus the
 * candidate's ≤ maxAccuracyDrop), `quality.agreementDrop` (the same for agreement with humans on reviewed
 * predictions), `quality.reviewShareRise` (the candidate's review share minus the control's ≤ maxReviewShareRise).
 * Each waits until both cohorts have `minLabels` labels (review share: routed inferences).
 */
export function qualityGates(
  gates: Gates,
  candidate: QualityCounts | null | undefined,
  control: QualityCounts | null | undefined,
): PendingGate[] {
  const min = gates.minLabels ?? DEFAULT_MIN_LABELS;
  const out: PendingGate[] = [];
  const drop = (gate: string, threshold: number | undefined, rate: (q: QualityCounts) => Rate) => {
    if (threshold === undefined) return;
    out.push({
      gate,
      threshold,
      bound: 'max',
      interval: (levels) =>
        candidate && control
          ? rateDifferenceInterval(rate(control), rate(candidate), levels, min, 'b')
          : null,
    });
  };
  drop('quality.accuracyDrop', gates.maxAccuracyDrop, accuracy);
  drop('quality.agreementDrop', gates.maxAgreementDrop, agreement);
  if (gates.maxReviewShareRise !== undefined)
    out.push({
      gate: 'quality.reviewShareRise',
      threshold: gates.maxReviewShareRise,
      bound: 'max',
      interval: (levels) =>
        candidate && control
          ? rateDifferenceInterval(reviewShare(candidate), reviewShare(control), levels, min)
          : null,
    });
  return out;
}

/** Whether a rollout has a gate comparing the candidate's quality with the control cohort's. */
export const hasQualityGates = (gates: Gates) =>
  gates.maxAccuracyDrop !== undefined ||
  gates.maxAgreementDrop !== undefined ||
  gates.maxReviewShareRise !== undefined;

/** Whether a gate's breach may step the automation level down instead of rolling back (a quality gate). */
export const isQualityGate = (gate: string) => gate.startsWith('quality.');

/** Name of the automation ladder's step-up gate. */
export const STEP_UP_GATE = 'ladder.stepUpAgreement';

/**
 * The automation ladder's step-up gate: the candidate's agreement with humans over every label of the stage (at
 * shadow and assist every label is a review) must have its lower bound at or above `minStepUpAgreement`, over at
 * least `minStepUpReviews` labels (fewer: wait).
 */
export function stepUpGate(gates: Gates, candidate: QualityCounts | null | undefined): PendingGate {
  const min = gates.minStepUpReviews ?? DEFAULT_MIN_LABELS;
  return {
    gate: STEP_UP_GATE,
    threshold: gates.minStepUpAgreement ?? DEFAULT_MIN_STEP_UP_AGREEMENT,
    bound: 'min',
    interval: (levels) =>
      candidate && candidate.labelled >= min
        ? rateInterval(candidate.correct, candidate.labelled, levels)
        : null,
  };
}
