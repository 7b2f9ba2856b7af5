import type { FeatureStats, Profile } from '../profile';
import type { CategoryCounts } from '../sketches';
import { SketchMismatchError } from '../sketches';
import { type ChiSquareResult, chiSquare } from './chi-square';
import { jensenShannonDistance } from './jensen-shannon';
import { ksFromHistograms } from './ks';
import { psi } from './psi';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftThresholdOverrides,
  type DriftThresholds,
  type DriftVerdict,
  judgeMetrics,
  resolveThresholds,
  worseVerdict,
} from './thresholds';
import { wassersteinFromHistograms } from './wasserstein-binned';

/** Drift of one input or output feature, current window against the baseline. */
export interface FeatureDrift {
  name: string;
  /** Observations in the baseline histogram (finite and ±Infinity; NaN/missing excluded). */
  baselineCount: number;
  /** Observations in the current histogram. */
  currentCount: number;
  /** Missing (absent or NaN) values in the current profile, for information. */
  currentMissing: number;
  /** The metrics are null when either histogram is empty. */
  psi: number | null;
  js: number | null;
  /** KS D at the bin edges (a lower bound of the raw-sample D); information unless a threshold is set. */
  ksD: number | null;
  /** Binned W1 (see `wassersteinFromHistograms`) over the baseline std; null also when that std is 0. */
  wassersteinNorm: number | null;
  verdict: DriftVerdict;
  /** Why the verdict is not `ok`, e.g. `psi 0.31 >= alert 0.25` or `current has 42 observations < minCount 100`. */
  reasons: string[];
}

/**
 * Drift of the top-1 class mix. `labels` are the spec classes, then other labels either side counted, then
 * `(other)` (labels folded into CategoryCounts.other) and `(missing)` (null outputs) when either side has any.
 */
export interface ClassDrift {
  labels: string[];
  baselineCounts: number[];
  currentCounts: number[];
  js: number | null;
  /** Homogeneity test (2×k contingency); information only — with fleet-sized counts everything is significant. */
  chiSquare: ChiSquareResult | null;
  verdict: DriftVerdict;
  reasons: string[];
}

/** Drift of a current profile against its baseline: per feature, per output, the class mix, and the worst verdict. */
export interface DriftReport {
  specHash: string;
  /** Worst verdict of all parts: alert > warn > insufficient > ok. */
  verdict: DriftVerdict;
  inputs: FeatureDrift[];
  outputs: FeatureDrift[];
  /** Null when the spec names no classes and neither profile counted any. */
  classes: ClassDrift | null;
}

/** Label of the `CategoryCounts.other` bucket in {@link ClassDrift}. */
export const OTHER_CLASS_LABEL = '(other)';
/** Label of null outputs (`Profile.nullOutputs`) in {@link ClassDrift}. */
export const MISSING_CLASS_LABEL = '(missing)';

/**
 * Compares `current` with `baseline` (both under the same spec): per input and output feature PSI,
 * Jensen-Shannon distance, KS D and std-normalised Wasserstein on the baseline-anchored histograms;
 * Jensen-Shannon and a chi-square homogeneity test on the class counts; verdicts from
 * {@link DEFAULT_DRIFT_THRESHOLDS} patched by `thresholds`. A part with fewer than `minCount` observations
 * on either side is `insufficient` (its metrics are still reported when both sides have data).
 * Throws {@link SketchMismatchError} (`field: 'specHash'`) when the profiles have different specs, as
 * `Profile.merge` does: comparing against the wrong baseline is a programming error.
 * @example const report = driftReport(baseline, window, { features: { brightness: { psi: { alert: 0.4 } } } });
 */
export function driftReport(
  baseline: Profile,
  current: Profile,
  thresholds: DriftThresholdOverrides = {},
): DriftReport {
  if (baseline.specHash !== current.specHash) {
    throw new SketchMismatchError(
      'specHash',
      `cannot compare profile of spec ${current.specHash} with baseline of spec ${baseline.specHash}`,
    );
  }
  const { features, classes: classPatch, ...common } = thresholds;
  const base = resolveThresholds(DEFAULT_DRIFT_THRESHOLDS, common);
  const featureDrifts = (side: 'inputs' | 'outputs') =>
    baseline.spec[side].map(({ name }) =>
      featureDrift(
        name,
        baseline[side].get(name),
        current[side].get(name),
        resolveThresholds(base, features?.[name]),
      ),
    );
  const inputs = featureDrifts('inputs');
  const outputs = featureDrifts('outputs');
  const classes = classDrift(baseline, current, resolveThresholds(base, classPatch));
  let verdict: DriftVerdict = 'ok';
  for (const part of [...inputs, ...outputs, ...(classes ? [classes] : [])]) {
    verdict = worseVerdict(verdict, part.verdict);
  }
  return { specHash: baseline.specHash, verdict, inputs, outputs, classes };
}

function featureDrift(
  name: string,
  baseline: FeatureStats | undefined,
  current: FeatureStats | undefined,
  thresholds: DriftThresholds,
): FeatureDrift {
  const baselineCount = baseline?.histogram.total ?? 0;
  const currentCount = current?.histogram.total ?? 0;
  const drift: FeatureDrift = {
    name,
    baselineCount,
    currentCount,
    currentMissing: current?.moments.nanCount ?? 0,
    psi: null,
    js: null,
    ksD: null,
    wassersteinNorm: null,
    verdict: 'ok',
    reasons: [],
  };
  if (baseline && current && baselineCount > 0 && currentCount > 0) {
    const { edges, counts: expected } = baseline.histogram;
    if (!baseline.histogram.sameEdges(current.histogram)) {
      throw new SketchMismatchError(
        'edges',
        `feature ${name}: baseline and current histograms have different edges`,
      );
    }
    const actual = current.histogram.counts;
    drift.psi = psi(expected, actual);
    drift.js = jensenShannonDistance(expected, actual);
    drift.ksD = ksFromHistograms(edges, expected, actual);
    // The baseline std of the finite values scales the distance; a constant baseline has no scale.
    const std = baseline.moments.std;
    drift.wassersteinNorm =
      std > 0 && Number.isFinite(std) ? wassersteinFromHistograms(edges, expected, actual) / std : null;
  }
  return judge(drift, baselineCount, currentCount, thresholds);
}

function classDrift(baseline: Profile, current: Profile, thresholds: DriftThresholds): ClassDrift | null {
  const known = baseline.spec.classes;
  if (!known && baseline.classes.total === 0 && current.classes.total === 0) return null;
  const labels = classLabels(known ?? [], baseline.classes, current.classes);
  const baselineCounts = labels.map((label) => baseline.classes.get(label));
  const currentCounts = labels.map((label) => current.classes.get(label));
  const special = [
    [OTHER_CLASS_LABEL, baseline.classes.other, current.classes.other],
    [MISSING_CLASS_LABEL, baseline.nullOutputs, current.nullOutputs],
  ] as const;
  for (const [label, inBaseline, inCurrent] of special) {
    if (inBaseline === 0 && inCurrent === 0) continue;
    labels.push(label);
    baselineCounts.push(inBaseline);
    currentCounts.push(inCurrent);
  }
  const baselineTotal = baselineCounts.reduce((s, c) => s + c, 0);
  const currentTotal = currentCounts.reduce((s, c) => s + c, 0);
  const both = baselineTotal > 0 && currentTotal > 0;
  const drift: ClassDrift = {
    labels,
    baselineCounts,
    currentCounts,
    js: both ? jensenShannonDistance(baselineCounts, currentCounts) : null,
    chiSquare: both ? chiSquare(baselineCounts, currentCounts) : null,
    verdict: 'ok',
    reasons: [],
  };
  return judge(drift, baselineTotal, currentTotal, thresholds);
}

/** Spec classes in spec order, then the other labels either side counted, sorted. */
function classLabels(known: readonly string[], a: CategoryCounts, b: CategoryCounts): string[] {
  const seen = new Set(known);
  const extra = [...new Set([...a.counts.keys(), ...b.counts.keys()])].filter((k) => !seen.has(k)).sort();
  return [...known, ...extra];
}

/** Sets verdict and reasons: `insufficient` below minCount on either side, otherwise the metric thresholds. */
function judge<T extends FeatureDrift | ClassDrift>(
  drift: T,
  baselineCount: number,
  currentCount: number,
  thresholds: DriftThresholds,
): T {
  const short = [
    ['baseline', baselineCount],
    ['current', currentCount],
  ] as const;
  const reasons = short
    .filter(([, n]) => n < thresholds.minCount)
    .map(([side, n]) => `${side} has ${n} observations < minCount ${thresholds.minCount}`);
  if (reasons.length > 0) return { ...drift, verdict: 'insufficient', reasons };
  return { ...drift, ...judgeMetrics(drift, thresholds) };
}
