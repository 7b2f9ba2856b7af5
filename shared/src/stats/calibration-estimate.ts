// Label-free estimated accuracy (confidence-based performance estimation, as NannyML's CBPE) and the calibration
// check, from the fixed-bin calibration counts of the feedback aggregate. calibration-estimate.test.ts holds the
// check's false-flag rate and the estimate's interval coverage to seeded simulations.

import { normalQuantile } from './normal';
import { createRandom } from './random';

/** Calibration counts per fixed confidence bin (the wire shape of the feedback aggregate's `calibration`). */
export interface CalibrationCounts {
  routed: readonly number[];
  routedConfidence: readonly number[];
  labelled: readonly number[];
  correct: readonly number[];
  labelledConfidence: readonly number[];
}

/** An estimate with a two-sided interval at `confidence` (null estimate: nothing to estimate from). */
export interface EstimateInterval {
  estimate: number | null;
  lower: number;
  upper: number;
}

/** Accuracy estimated without labels, and re-weighted from labels per confidence bin. */
export interface AccuracyEstimates {
  /** Inferences whose confidence was binned. */
  inferences: number;
  /**
   * Mean top-1 confidence: the expected accuracy if the model is calibrated on today's data. The interval is
   * the sampling noise of the realised accuracy under that assumption only (√(m(1−m)/n)).
   */
  labelFree: EstimateInterval;
  /**
   * Per bin the labelled accuracy (where a bin has labels; its mean confidence where not), weighted by the
   * bin's share of all inferences: corrects for labels being taken mostly where the model is unsure. Assumes
   * labels within a bin are a random sample of its predictions. Null without labels.
   */
  calibrated: (EstimateInterval & { labelledBins: number }) | null;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

function interval(estimate: number, variance: number, confidence: number): EstimateInterval {
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const half = z * Math.sqrt(Math.max(0, variance));
  return { estimate, lower: clamp01(estimate - half), upper: clamp01(estimate + half) };
}

/** Both accuracy estimates of a calibration at `confidence` (two-sided normal intervals). */
export function estimateAccuracy(c: CalibrationCounts, confidence = 0.95): AccuracyEstimates {
  const n = sum(c.routed);
  if (n === 0) {
    const none = { estimate: null, lower: 0, upper: 1 };
    return {
      inferences: 0,
      labelFree: none,
      calibrated: sum(c.labelled) > 0 ? { ...none, labelledBins: 0 } : null,
    };
  }
  const m = sum(c.routedConfidence) / n;
  const labelFree = interval(m, (m * (1 - m)) / n, confidence);
  if (sum(c.labelled) === 0) return { inferences: n, labelFree, calibrated: null };
  let estimate = 0;
  let variance = 0;
  let labelledBins = 0;
  for (let b = 0; b < c.routed.length; b++) {
    const routed = c.routed[b]!;
    if (routed === 0) continue;
    const w = routed / n;
    const labelled = c.labelled[b]!;
    if (labelled > 0) {
      labelledBins++;
      estimate += (w * c.correct[b]!) / labelled;
      // Jeffreys-smoothed rate in the variance: a bin with all labels right still has some doubt.
      const p = (c.correct[b]! + 0.5) / (labelled + 1);
      variance += (w * w * p * (1 - p)) / labelled;
    } else {
      const mb = c.routedConfidence[b]! / routed;
      estimate += w * mb;
      variance += (w * w * mb * (1 - mb)) / routed;
    }
  }
  return {
    inferences: n,
    labelFree,
    calibrated: { ...interval(clamp01(estimate), variance, confidence), labelledBins },
  };
}

/** The calibration check of labelled predictions. */
export interface CalibrationCheck {
  labelled: number;
  /** Expected calibration error: Σ_b (n_b / n) · |accuracy_b − mean confidence_b| over the labelled bins. */
  ece: number | null;
  /** ECE a perfectly calibrated model shows with these bin sizes, 95th percentile (the sampling noise). */
  noise95: number | null;
  /** P(ECE ≥ the observed one | calibrated), Monte Carlo with `draws` draws; null without labels. */
  pValue: number | null;
  /** Flagged only when `pValue` < `alpha`: a calibrated model is flagged with probability ≤ alpha. */
  miscalibrated: boolean;
  alpha: number;
  draws: number;
}

function ece(
  correct: readonly number[],
  labelled: readonly number[],
  meanConfidence: readonly number[],
): number {
  let n = 0;
  let e = 0;
  for (let b = 0; b < labelled.length; b++) {
    if (labelled[b]! === 0) continue;
    n += labelled[b]!;
    e += Math.abs(correct[b]! - labelled[b]! * meanConfidence[b]!);
  }
  return n === 0 ? 0 : e / n;
}

/**
 * Tests "the model is calibrated" on the labelled predictions: under it each bin's correct count is
 * Binomial(n_b, mean confidence_b) (conservative: the exact Poisson-binomial has less variance), so the
 * p-value is the share of `draws` seeded draws whose ECE reaches the observed one (with the +1 correction,
 * valid at any `draws`).
 */
export function checkCalibration(
  c: CalibrationCounts,
  options: { alpha?: number; draws?: number; seed?: number } = {},
): CalibrationCheck {
  const alpha = options.alpha ?? 0.01;
  const draws = options.draws ?? 1_000;
  const labelled = sum(c.labelled);
  if (labelled === 0)
    return { labelled, ece: null, noise95: null, pValue: null, miscalibrated: false, alpha, draws };
  const mean = c.labelled.map((n, b) => (n === 0 ? 0 : clamp01(c.labelledConfidence[b]! / n)));
  const observed = ece(c.correct, c.labelled, mean);
  const rng = createRandom(options.seed ?? 0x5eed);
  const simulated: number[] = [];
  let atLeast = 0;
  const drawn = c.labelled.map(() => 0);
  for (let d = 0; d < draws; d++) {
    for (let b = 0; b < drawn.length; b++) drawn[b] = rng.binomial(c.labelled[b]!, mean[b]!);
    const e = ece(drawn, c.labelled, mean);
    simulated.push(e);
    // Equal up to rounding counts as reaching it (a calibrated draw identical to the data).
    if (e >= observed - 1e-12) atLeast++;
  }
  simulated.sort((a, b) => a - b);
  const pValue = (1 + atLeast) / (1 + draws);
  return {
    labelled,
    ece: observed,
    noise95: simulated[Math.min(draws - 1, Math.floor(0.95 * draws))]!,
    pValue,
    miscalibrated: pValue < alpha,
    alpha,
    draws,
  };
}
