import {
  driftReport,
  type FeatureDrift,
  type Histogram,
  MISSING_CLASS_LABEL,
  OTHER_CLASS_LABEL,
  type Profile,
} from '@edgefleet/shared';
import type { DriftDistances, PointDrift, TimeseriesPoint } from '@edgefleet/shared/api';
import { latencyQuantiles } from './version-metrics';

// The views are the API contract's: one definition for the server, the dashboard and the CLI.
export type { DriftDistances, PointDrift, TimeseriesPoint };

/** Name of the output feature the `confidence` summary reads (see shared CLASSIFIER_FEATURES). */
export const CONFIDENCE_FEATURE = 'confidence';

/** The point of a bucket: counts, latency, drift against `baseline`, class mix and confidence of `merged`. */
export function pointOf(
  t: number,
  reports: number,
  merged: Profile | null,
  baseline: Profile | null,
): TimeseriesPoint {
  if (!merged || reports === 0) {
    return {
      t,
      reports,
      inferences: 0,
      errors: 0,
      errorRate: null,
      latencyMs: null,
      drift: null,
      classMix: null,
      confidence: null,
    };
  }
  const inferences = merged.inferences;
  const errors = merged.errorCount;
  return {
    t,
    reports,
    inferences,
    errors,
    errorRate: inferences > 0 ? errors / inferences : null,
    latencyMs: latencyOf(merged),
    drift: baseline ? driftOf(baseline, merged) : null,
    classMix: classMixOf(merged),
    confidence: confidenceOf(merged),
  };
}

function latencyOf(profile: Profile): TimeseriesPoint['latencyMs'] {
  for (const stage of ['total', 'infer'] as const) {
    const q = latencyQuantiles(profile, stage);
    if (q.count > 0) return { p50: q.p50, p95: q.p95, p99: q.p99 };
  }
  return null;
}

const distances = (f: FeatureDrift): DriftDistances => ({ psi: f.psi, js: f.js });

const maxOf = (values: (number | null)[]): number | null => {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length > 0 ? Math.max(...finite) : null;
};

/** Drift distances through the shared {@link driftReport} (the same code the metrics query and gates use). */
export function driftOf(baseline: Profile, current: Profile): PointDrift {
  const report = driftReport(baseline, current);
  const inputs = Object.fromEntries(report.inputs.map((f) => [f.name, distances(f)]));
  const outputs = Object.fromEntries(report.outputs.map((f) => [f.name, distances(f)]));
  const output =
    report.outputs.length > 0
      ? { psi: maxOf(report.outputs.map((f) => f.psi)), js: maxOf(report.outputs.map((f) => f.js)) }
      : null;
  const all = [...report.inputs, ...report.outputs];
  return {
    inputs,
    output,
    outputs,
    classesJs: report.classes?.js ?? null,
    maxPsi: maxOf(all.map((f) => f.psi)),
    maxJs: maxOf(all.map((f) => f.js)),
  };
}

function classMixOf(profile: Profile): Record<string, number> | null {
  const total = profile.classes.total + profile.nullOutputs;
  if (total === 0) return null;
  const entries: [string, number][] = [...profile.classes.counts].map(([label, n]) => [label, n / total]);
  if (profile.classes.other > 0) entries.push([OTHER_CLASS_LABEL, profile.classes.other / total]);
  if (profile.nullOutputs > 0) entries.push([MISSING_CLASS_LABEL, profile.nullOutputs / total]);
  // fromEntries defines own properties: a class labelled `__proto__` is kept like any other.
  return Object.fromEntries(entries);
}

function confidenceOf(profile: Profile): TimeseriesPoint['confidence'] {
  const stats = profile.outputs.get(CONFIDENCE_FEATURE);
  if (!stats || stats.moments.count === 0) return null;
  return {
    p50: histogramQuantile(stats.histogram, 0.5, stats.moments.min, stats.moments.max),
    mean: stats.moments.mean,
  };
}

/**
 * The `q` quantile of a baseline-binned histogram, interpolated linearly inside its bin; the open under- and
 * overflow bins are closed by the observed `min` / `max`. Null when the histogram is empty.
 */
export function histogramQuantile(histogram: Histogram, q: number, min: number, max: number): number | null {
  const total = histogram.total;
  if (total === 0) return null;
  const { edges, counts } = histogram;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let below = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    const count = counts[bin]!;
    if (count === 0 || below + count < rank) {
      below += count;
      continue;
    }
    const lo = bin === 0 ? Math.min(min, edges[0]!) : edges[bin - 1]!;
    const hi = bin === counts.length - 1 ? Math.max(max, edges[edges.length - 1]!) : edges[bin]!;
    const value = lo + ((rank - below) / count) * (hi - lo);
    return Number.isFinite(value) ? Math.min(Math.max(value, min), max) : null;
  }
  return Number.isFinite(max) ? max : null;
}
