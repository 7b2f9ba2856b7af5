import type { Profile } from '@edgefleet/shared';
import { clopperPearson, type Interval, psiInterval, quantileInterval } from '@edgefleet/shared/stats';

/** What a window is judged against: thresholds of effects that matter, and the family-wise confidence. */
export interface JudgeOptions {
  /** PSI at or above which a feature has drifted (its lower bound must reach it). */
  psiThreshold: number;
  /** Error rate at or above which the version is failing; 0: not tested. */
  errorRate: number;
  /** End-to-end (else inference) latency p95 in ms at or above which the version is slow; 0: not tested. */
  latencyP95Ms: number;
  /** Family-wise confidence of one evaluation over all its tests (features, error rate, latency, slices). */
  confidence: number;
  /** Windows judged together in one evaluation (the fleet plus its label slices): the family grows with them. */
  windows: number;
}

/** One tested quantity and its interval at the per-test confidence; `breach` when its lower bound is past the threshold. */
export interface Bound {
  test: string;
  interval: Interval;
  threshold: number;
  breach: boolean;
}

/** The judgement of one window: every bound, and the family they were tested in. */
export interface WindowJudgement {
  /** Tests of the whole evaluation (Bonferroni family) and the confidence each single interval was taken at. */
  tests: number;
  perTestConfidence: number;
  drift: Bound[];
  errorRate: Bound | null;
  latencyP95Ms: Bound | null;
}

/** Tests one evaluation makes for a spec: every input and output feature, the error rate and latency if set, per window. */
export function testsOf(spec: Profile['spec'], options: JudgeOptions): number {
  const perWindow =
    spec.inputs.length +
    spec.outputs.length +
    (options.errorRate > 0 ? 1 : 0) +
    (options.latencyP95Ms > 0 ? 1 : 0);
  return Math.max(1, perWindow * Math.max(1, options.windows));
}

/**
 * Judges a window against the baseline with the shared bounds (the rollout gates' tests): bias-corrected PSI
 * with an interval that counts the window's and the baseline's noise, Clopper-Pearson for the error rate, the
 * distribution-free order-statistic interval of the p95 from the DDSketch bins. Each interval is two-sided at
 * 1 − (1 − confidence)/tests (Bonferroni), so one evaluation raises a false alert with probability at most
 * 1 − confidence when no true value is past its threshold.
 */
export function judgeWindow(baseline: Profile, window: Profile, options: JudgeOptions): WindowJudgement {
  const tests = testsOf(baseline.spec, options);
  const perTestConfidence = 1 - (1 - options.confidence) / tests;
  const drift: Bound[] = [];
  for (const side of ['inputs', 'outputs'] as const) {
    for (const [name, reference] of baseline[side]) {
      const current = window[side].get(name);
      if (!current || current.histogram.total === 0 || reference.histogram.total === 0) continue;
      const interval = psiInterval(reference.histogram.counts, current.histogram.counts, perTestConfidence);
      drift.push({
        test: `${side === 'inputs' ? 'input' : 'output'} ${name}`,
        interval: plain(interval),
        threshold: options.psiThreshold,
        breach: interval.lower >= options.psiThreshold,
      });
    }
  }
  let errorRate: Bound | null = null;
  if (options.errorRate > 0 && window.inferences > 0) {
    const interval = clopperPearson(
      Math.min(window.errorCount, window.inferences),
      window.inferences,
      perTestConfidence,
    );
    errorRate = {
      test: 'error rate',
      interval,
      threshold: options.errorRate,
      breach: interval.lower >= options.errorRate,
    };
  }
  let latencyP95Ms: Bound | null = null;
  const sketch = window.latency.total.count > 0 ? window.latency.total : window.latency.infer;
  if (options.latencyP95Ms > 0 && sketch.count > 0) {
    const interval = quantileInterval(
      sketch.count,
      0.95,
      perTestConfidence,
      sketch.quantile(0.95),
      (rank, edge) => sketch.valueAtRank(rank, edge),
    );
    latencyP95Ms = {
      test: 'latency p95',
      interval,
      threshold: options.latencyP95Ms,
      breach: interval.lower >= options.latencyP95Ms,
    };
  }
  return { tests, perTestConfidence, drift, errorRate, latencyP95Ms };
}

const plain = (i: Interval): Interval => ({
  estimate: i.estimate,
  lower: i.lower,
  upper: i.upper,
  confidence: i.confidence,
});
