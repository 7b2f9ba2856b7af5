import type { GateTest } from '@edgefleet/shared/api';
import {
  clopperPearson,
  type Interval,
  jsDistanceInterval,
  normalQuantile,
  psiInterval,
  quantileInterval,
  ratioOfIntervals,
} from '@edgefleet/shared/stats';
import type { LatencySketch, MetricEvidence } from './types';

// One interval per kind of gate. Its two bounds have their own levels (`Levels`: the two-sided confidence whose
// lower / upper side each bound takes), because breaching and passing are different tests (see `evaluateGates`).
// Each returns the interval and the sample sizes behind it (candidate n, control / baseline n), or null without data.

/** An interval with the test that made it and the observations behind it. */
export interface GateInterval extends Interval {
  test: GateTest;
  n: number;
  controlN: number | null;
  /** Drift only: the chi-square's effective degrees of freedom, and whether the gate is on a distance (JS: √). */
  drift?: { df: number; distance: boolean };
}

/** The two-sided confidence whose lower side the lower bound takes, and whose upper side the upper bound takes. */
export interface Levels {
  lower: number;
  upper: number;
}

/** [lower of the interval at `levels.lower`, upper of the one at `levels.upper`]; one call when they agree. */
function combined(levels: Levels, at: (confidence: number) => Interval): Interval {
  const low = at(levels.lower);
  const high = levels.upper === levels.lower ? low : at(levels.upper);
  return { estimate: low.estimate, lower: low.lower, upper: high.upper, confidence: coverage(levels) };
}

/** Two-sided coverage of [lower, upper] when each bound errs on its own side. */
export function coverage(levels: Levels): number {
  return 1 - (1 - levels.lower) / 2 - (1 - levels.upper) / 2;
}

/** Clopper-Pearson interval of a rate (error rate, shadow agreement, class shares). */
export function rateInterval(successes: number, trials: number, levels: Levels): GateInterval | null {
  if (!(trials > 0)) return null;
  const n = Math.round(trials);
  const x = Math.min(n, Math.max(0, Math.round(successes)));
  return { ...combined(levels, (c) => clopperPearson(x, n, c)), test: 'clopper-pearson', n, controlN: null };
}

function sketchQuantile(sketch: LatencySketch, q: number, confidence: number): Interval {
  return quantileInterval(sketch.count, q, confidence, sketch.quantile(q), (rank, edge) =>
    sketch.valueAtRank(rank, edge),
  );
}

/** Distribution-free interval of a latency quantile from the candidate's DDSketch bins. */
export function latencyInterval(
  sketch: LatencySketch | null,
  q: number,
  levels: Levels,
): GateInterval | null {
  if (!sketch || sketch.count === 0) return null;
  const interval = combined(levels, (c) => sketchQuantile(sketch, q, c));
  return { ...interval, test: 'order-statistic', n: sketch.count, controlN: null };
}

/** The candidate's latency quantile over the control cohort's (same window), both distribution-free. */
export function latencyRatioInterval(
  candidate: LatencySketch | null,
  control: LatencySketch | null,
  q: number,
  levels: Levels,
): GateInterval | null {
  if (!candidate || candidate.count === 0 || !control || control.count === 0) return null;
  const ratioAt = (confidence: number) => {
    const each = 1 - (1 - confidence) / 2;
    return ratioOfIntervals(sketchQuantile(candidate, q, each), sketchQuantile(control, q, each), confidence);
  };
  return {
    ...combined(levels, ratioAt),
    test: 'order-statistic-ratio',
    n: candidate.count,
    controlN: control.count,
  };
}

/** Bias-corrected PSI or JS distance of the window's bin counts against the baseline's, both samples' noise counted. */
export function driftInterval(
  metric: 'psi' | 'js',
  baselineCounts: readonly number[] | null,
  windowCounts: readonly number[] | null,
  levels: Levels,
): GateInterval | null {
  if (!baselineCounts || !windowCounts || baselineCounts.length !== windowCounts.length) return null;
  const total = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
  if (!(total(baselineCounts) > 0 && total(windowCounts) > 0)) return null;
  const options = { upperConfidence: levels.upper };
  const interval =
    metric === 'psi'
      ? psiInterval(baselineCounts, windowCounts, levels.lower, options)
      : jsDistanceInterval(baselineCounts, windowCounts, levels.lower, options);
  return {
    estimate: interval.estimate,
    lower: interval.lower,
    upper: interval.upper,
    confidence: coverage(levels),
    test: 'noncentral-chi-square',
    n: interval.windowCount,
    controlN: interval.baselineCount,
    drift: { df: interval.df, distance: metric === 'js' },
  };
}

/**
 * Interval of a profile metric where one can be derived: shares and rates are binomial (Clopper-Pearson), means
 * use the normal approximation (mean ± z·sd/√n); anything else (e.g. a std) has none and is judged as a point
 * estimate, flagged `point`.
 */
export function metricInterval(evidence: MetricEvidence | undefined, levels: Levels): GateInterval | null {
  if (!evidence) return null;
  if (evidence.kind === 'share') return rateInterval(evidence.successes, evidence.trials, levels);
  if (evidence.kind === 'mean' && evidence.count > 1) {
    const half = (confidence: number) =>
      (-normalQuantile((1 - confidence) / 2) * evidence.std) / Math.sqrt(evidence.count);
    return {
      estimate: evidence.mean,
      lower: evidence.mean - half(levels.lower),
      upper: evidence.mean + half(levels.upper),
      confidence: coverage(levels),
      test: 'normal-mean',
      n: evidence.count,
      controlN: null,
    };
  }
  return null;
}
