import type { Rollout, RolloutFacts, RolloutSpec, RolloutState, TargetFacts } from './types';

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

/** Healthy facts with plenty of data. */
export function healthyFacts(targets: TargetFacts[] = sampleTargets(100)): RolloutFacts {
  return {
    candidate: {
      reportingTargets: 10,
      inferences: 10_000,
      errorRate: 0.001,
      latencyP95Ms: 10,
      latencyP99Ms: 20,
      drift: {
        inputs: [{ name: 'brightness', psi: 0.01, js: 0.02 }],
        outputs: [{ name: 'confidence', psi: 0.02, js: 0.01 }],
      },
      shadow: { compared: 10_000, agreed: 9_900 },
      metrics: { 'outputs.confidence.mean': 0.9 },
    },
    baseline: { inferences: 10_000, latencyP95Ms: 9, latencyP99Ms: 18 },
    targets,
  };
}
