import { DDSketch, jensenShannonDistance, psi } from '@edgefleet/shared';
import type {
  FeatureDriftValue,
  LatencySketch,
  Rollout,
  RolloutFacts,
  RolloutSpec,
  RolloutState,
  TargetFacts,
} from './types';

// Builders for the pure decision tests (not used by the server).

/** A running 3-stage canary of cls 1.0.0 → 2.0.0 with latency, error and drift gates. */
export function sampleRollout(spec: Partial<RolloutSpec> = {}, state: Partial<RolloutState> = {}): Rollout {
  return {
    spec: {
      id: 'r-1',
      modelName: 'cls',
      candidate: '2.0.0',
      baseline: '1.0.0',
      target: { kind: 'selector', selector: 'site=a' },
      strategy: 'canary',
      stages: [
        { percent: 5, minDurationMs: 30 * 60_000, minReportingTargets: 2, minInferences: 100 },
        { percent: 25, minDurationMs: 2 * 3_600_000, minReportingTargets: 2, minInferences: 100 },
        { percent: 100, minDurationMs: 0, minReportingTargets: 2, minInferences: 100 },
      ],
      gates: { latencyP95Ms: 50, maxErrorRate: 0.05, maxPsi: 0.2 },
      onBreach: 'rollback',
      salt: 'salt-1',
      startAt: 0,
      maintenanceWindows: [],
      maxConcurrentDownloads: null,
      applyTimeoutMs: 900_000,
      ...spec,
    },
    state: { status: 'running', stageIndex: 0, stageStartedAt: 0, version: 1, ...state },
  };
}

/** Device targets `d-0` … `d-(n-1)`, each told to run `desired` (default: the baseline). */
export function sampleTargets(count: number, desired = '1.0.0'): TargetFacts[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `d-${i}`,
    desired: { active: desired, shadow: null, standby: null },
    pending: false,
    failure: null,
  }));
}

/** A latency sketch of `count` values spread evenly over [fromMs, toMs]. */
export function latencySketch(count: number, fromMs: number, toMs: number): LatencySketch {
  const sketch = new DDSketch();
  for (let i = 0; i < count; i++) sketch.add(fromMs + ((toMs - fromMs) * (i + 0.5)) / count);
  return sketch;
}

/** A 300-value baseline over 10 equal-mass bins (under/overflow empty, as the baseline builder makes them). */
export const BASELINE_COUNTS: readonly number[] = [0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 0];

/**
 * Drift facts of one feature: a window of `n` values, a share `shifted` of them moved from the lower half of the
 * bins to the upper half (0: distributed as the baseline).
 */
export function driftValue(name: string, n: number, shifted = 0): FeatureDriftValue {
  const inner = BASELINE_COUNTS.length - 2;
  const windowCounts = BASELINE_COUNTS.map((_, i) => {
    if (i === 0 || i === BASELINE_COUNTS.length - 1) return Math.round(n / 301);
    const base = n / inner;
    return Math.round(i <= inner / 2 ? base * (1 - shifted) : base * (1 + shifted));
  });
  const baselineCounts = [...BASELINE_COUNTS];
  return {
    name,
    psi: psi(baselineCounts, windowCounts),
    js: jensenShannonDistance(baselineCounts, windowCounts),
    baselineCounts,
    windowCounts,
  };
}

/** Healthy facts with plenty of data. */
export function healthyFacts(targets: TargetFacts[] = sampleTargets(100)): RolloutFacts {
  return {
    candidate: {
      reportingTargets: 10,
      inferences: 10_000,
      errors: 10,
      errorRate: 0.001,
      latencyP95Ms: 10,
      latencyP99Ms: 20,
      latency: latencySketch(10_000, 1, 10.5),
      drift: {
        inputs: [driftValue('brightness', 10_000)],
        outputs: [driftValue('confidence', 10_000)],
      },
      shadow: { compared: 10_000, agreed: 9_900 },
      metrics: { 'outputs.confidence.mean': 0.9 },
      metricEvidence: { 'outputs.confidence.mean': { kind: 'mean', mean: 0.9, std: 0.05, count: 10_000 } },
    },
    baseline: {
      inferences: 10_000,
      latencyP95Ms: 9,
      latencyP99Ms: 18,
      latency: latencySketch(10_000, 1, 9.5),
    },
    targets,
  };
}
