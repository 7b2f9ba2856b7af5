import type { Stage } from './stages';
import type { CandidateFacts, RolloutFacts, TargetFacts } from './types';

/** Thresholds on what the candidate's clients report; every one is optional. */
export interface Gates {
  latencyP95Ms?: number;
  latencyP99Ms?: number;
  /** Candidate p95 over the baseline version's p95 in the same window, e.g. 1.2. */
  latencyP95Ratio?: number;
  latencyP99Ratio?: number;
  maxErrorRate?: number;
  /** Highest PSI of any input feature or output against the candidate's baseline. */
  maxPsi?: number;
  /** Highest Jensen-Shannon distance of any input feature or output. */
  maxJs?: number;
  /** Per-feature overrides of `maxPsi` / `maxJs`. */
  features?: Record<string, { maxPsi?: number; maxJs?: number }>;
  /** Lowest share of shadow comparisons that agreed (shadow strategy). */
  minShadowAgreement?: number;
  /** Highest share of stage members that failed to apply the candidate. Default 0.1. */
  maxApplyFailureShare?: number;
  /** Bounds on any metric of the merged profile (see `profileMetrics`). */
  metrics?: { name: string; min?: number; max?: number }[];
}

/** Default of {@link Gates.maxApplyFailureShare}. */
export const DEFAULT_MAX_APPLY_FAILURE_SHARE = 0.1;

/** `wait`: not enough data to judge. Never counted as a pass. */
export type GateStatus = 'pass' | 'wait' | 'breach';

/** One gate's measured value against its threshold. */
export interface GateValue {
  gate: string;
  value: number | null;
  threshold: number;
  /** `max`: value must stay at or below the threshold; `min`: at or above. */
  bound: 'max' | 'min';
  status: GateStatus;
}

/** Gate values and the overall verdict: any breach → breach, else any wait → wait, else pass. */
export interface GateEvaluation {
  verdict: GateStatus;
  values: GateValue[];
}

function judge(gate: string, value: number | null, threshold: number, bound: 'max' | 'min', enough: boolean) {
  let status: GateStatus = 'wait';
  if (enough && value !== null && Number.isFinite(value)) {
    const ok = bound === 'max' ? value <= threshold : value >= threshold;
    status = ok ? 'pass' : 'breach';
  }
  return { gate, value, threshold, bound, status } satisfies GateValue;
}

function driftValues(gates: Gates, candidate: CandidateFacts, enough: boolean): GateValue[] {
  const values: GateValue[] = [];
  const parts = [
    ['input', candidate.drift?.inputs ?? []],
    ['output', candidate.drift?.outputs ?? []],
  ] as const;
  const hasOverrides = Object.keys(gates.features ?? {}).length > 0;
  if (gates.maxPsi === undefined && gates.maxJs === undefined && !hasOverrides) return values;
  if (!candidate.drift) {
    if (gates.maxPsi !== undefined) values.push(judge('drift.psi', null, gates.maxPsi, 'max', false));
    if (gates.maxJs !== undefined) values.push(judge('drift.js', null, gates.maxJs, 'max', false));
    return values;
  }
  for (const [side, features] of parts) {
    for (const feature of features) {
      const override = gates.features?.[feature.name];
      const maxPsi = override?.maxPsi ?? gates.maxPsi;
      const maxJs = override?.maxJs ?? gates.maxJs;
      const name = `${side}.${feature.name}`;
      if (maxPsi !== undefined) values.push(judge(`drift.psi.${name}`, feature.psi, maxPsi, 'max', enough));
      if (maxJs !== undefined) values.push(judge(`drift.js.${name}`, feature.js, maxJs, 'max', enough));
    }
  }
  return values;
}

function ratio(candidate: number | null, baseline: number | null): number | null {
  if (candidate === null || baseline === null || !(baseline > 0)) return null;
  return candidate / baseline;
}

/** Share of stage members whose attempt at the candidate failed; null with no members. */
export function applyFailureShare(members: readonly TargetFacts[]): number | null {
  if (members.length === 0) return null;
  return members.filter((t) => t.failure !== null).length / members.length;
}

/**
 * Evaluates a stage's minimums and every configured gate. Telemetry gates only pass or breach once the
 * stage has its minimum reporting targets and inferences; until then they `wait`. The apply-failure
 * share is judged on `members` (targets in the stage) as soon as there are any.
 */
export function evaluateGates(
  gates: Gates,
  stage: Stage,
  facts: RolloutFacts,
  members: readonly TargetFacts[],
): GateEvaluation {
  const { candidate, baseline } = facts;
  const targetsOk = candidate.reportingTargets >= stage.minReportingTargets;
  const inferencesOk = candidate.inferences >= stage.minInferences;
  const enough = targetsOk && inferencesOk;
  const values: GateValue[] = [
    { ...judge('minReportingTargets', candidate.reportingTargets, stage.minReportingTargets, 'min', true) },
    { ...judge('minInferences', candidate.inferences, stage.minInferences, 'min', true) },
  ].map((v) => (v.status === 'breach' ? { ...v, status: 'wait' as const } : v));
  const add = (gate: string, value: number | null, threshold: number | undefined, bound: 'max' | 'min') => {
    if (threshold !== undefined) values.push(judge(gate, value, threshold, bound, enough));
  };
  add('latency.p95Ms', candidate.latencyP95Ms, gates.latencyP95Ms, 'max');
  add('latency.p99Ms', candidate.latencyP99Ms, gates.latencyP99Ms, 'max');
  const baselineEnough = (baseline?.inferences ?? 0) >= stage.minInferences;
  const addRatio = (gate: string, value: number | null, threshold: number | undefined) => {
    if (threshold !== undefined) values.push(judge(gate, value, threshold, 'max', enough && baselineEnough));
  };
  addRatio(
    'latency.p95Ratio',
    ratio(candidate.latencyP95Ms, baseline?.latencyP95Ms ?? null),
    gates.latencyP95Ratio,
  );
  addRatio(
    'latency.p99Ratio',
    ratio(candidate.latencyP99Ms, baseline?.latencyP99Ms ?? null),
    gates.latencyP99Ratio,
  );
  add('errorRate', candidate.errorRate, gates.maxErrorRate, 'max');
  values.push(...driftValues(gates, candidate, enough));
  if (gates.minShadowAgreement !== undefined) {
    const shadow = candidate.shadow;
    const agreement = shadow && shadow.compared > 0 ? shadow.agreed / shadow.compared : null;
    const compared = (shadow?.compared ?? 0) >= stage.minInferences;
    values.push(judge('shadow.agreement', agreement, gates.minShadowAgreement, 'min', enough && compared));
  }
  for (const metric of gates.metrics ?? []) {
    const value = candidate.metrics[metric.name] ?? null;
    if (metric.max !== undefined)
      values.push(judge(`metric.${metric.name}`, value, metric.max, 'max', enough));
    if (metric.min !== undefined)
      values.push(judge(`metric.${metric.name}`, value, metric.min, 'min', enough));
  }
  const failureShare = applyFailureShare(members);
  const maxFailureShare = gates.maxApplyFailureShare ?? DEFAULT_MAX_APPLY_FAILURE_SHARE;
  if (failureShare !== null)
    values.push(judge('applyFailureShare', failureShare, maxFailureShare, 'max', true));
  return { verdict: verdictOf(values), values };
}

function verdictOf(values: readonly GateValue[]): GateStatus {
  if (values.some((v) => v.status === 'breach')) return 'breach';
  if (values.some((v) => v.status === 'wait')) return 'wait';
  return 'pass';
}

/** A one-line summary of breached gates, e.g. `drift.psi.input.brightness 0.41 > 0.2`. */
export function describeBreaches(values: readonly GateValue[]): string {
  return values
    .filter((v) => v.status === 'breach')
    .map((v) => `${v.gate} ${formatNumber(v.value)} ${v.bound === 'max' ? '>' : '<'} ${v.threshold}`)
    .join('; ');
}

function formatNumber(value: number | null): string {
  if (value === null) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}
