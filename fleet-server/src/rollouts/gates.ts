import type { GateStatus, GateTest } from '@edgefleet/shared/api';
import { advanceLook, breachLevel, LOOK_GROWTH, passLevel } from '@edgefleet/shared/stats';
import {
  coverage,
  driftInterval,
  type GateInterval,
  type Levels,
  latencyInterval,
  latencyRatioInterval,
  metricInterval,
  rateInterval,
} from './gate-tests';
import { qualityGates, stepUpGate } from './quality-gates';
import type { Stage } from './stages';
import type { CandidateFacts, RolloutFacts, StageLook, TargetFacts } from './types';

export type { GateStatus, GateTest };

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
  /** Quality gates, candidate cohort vs control cohort in the same window (see `quality-gates.ts`). */
  maxAccuracyDrop?: number;
  maxAgreementDrop?: number;
  maxReviewShareRise?: number;
  /** Fewest labels (review share: routed inferences) in each cohort before a quality gate is tested. */
  minLabels?: number;
  /** Automation ladder: lowest agreement with humans (lower bound) a step up needs. */
  minStepUpAgreement?: number;
  /** Automation ladder: fewest labels of the candidate before a step up is tested. */
  minStepUpReviews?: number;
}

/** Default of {@link Gates.maxApplyFailureShare}. */
export const DEFAULT_MAX_APPLY_FAILURE_SHARE = 0.1;
/** Default confidence of a rollout's decisions (family-wise, over all gates and all looks of a stage). */
export const DEFAULT_CONFIDENCE = 0.99;

/**
 * One gate's evidence against its threshold. `value` is the estimate; `lower`/`upper` its interval at `confidence`
 * (the per-test level after the family split and the look's share of α). `max` gates breach when `lower` is above
 * the threshold and pass when `upper` is at or below it (`min` gates mirror that); between, `inconclusive`.
 * `wait`: too little data to test at all. `needMore`: ≈ further candidate inferences likely to decide an
 * inconclusive gate (null: not inconclusive, or more data alone would not, e.g. a baseline too small).
 */
export interface GateValue {
  gate: string;
  value: number | null;
  threshold: number;
  bound: 'max' | 'min';
  status: GateStatus;
  test: GateTest;
  lower: number | null;
  upper: number | null;
  confidence: number | null;
  n: number | null;
  controlN: number | null;
  needMore: number | null;
}

/** Gate values, the overall verdict (breach > wait > inconclusive > pass) and the look they were judged at. */
export interface GateEvaluation {
  verdict: GateStatus;
  values: GateValue[];
  /** The sequential look (null while the stage minimums are not met: nothing was tested). */
  look: StageLook | null;
  /** The rollout's family-wise confidence. */
  confidence: number;
  /**
   * Every gate passes but no pass look opened at this tick, so the verdict is `inconclusive` (see `evaluateGates`):
   * ≈ the candidate inferences at which the next pass look opens. Null otherwise.
   */
  passAt: number | null;
}

/** A gate before it is judged: its threshold and how to get its interval at given levels. */
export interface PendingGate {
  gate: string;
  threshold: number;
  bound: 'max' | 'min';
  /** Null: no data (wait); then `point`, if given, is judged as a point estimate. */
  interval: (levels: Levels) => GateInterval | null;
  point?: number | null;
}

/**
 * Judges one gate. A breach needs the bound on the far side of the threshold at `levels.breach` (the family's α at
 * this look, split over the gates: any one breach rolls back); a pass needs the near bound at `levels.pass` (the
 * look's α unsplit: the stage passes only when every gate passes, an intersection-union test).
 */
function judged(g: PendingGate, levels: { breach: number; pass: number }, testable: boolean): GateValue {
  const base = { gate: g.gate, threshold: g.threshold, bound: g.bound };
  const sides: Levels =
    g.bound === 'max'
      ? { lower: levels.breach, upper: levels.pass }
      : { lower: levels.pass, upper: levels.breach };
  const interval = testable ? g.interval(sides) : null;
  const confidence = coverage(sides);
  if (!interval) {
    const point = g.point ?? null;
    if (testable && point !== null && Number.isFinite(point)) {
      // No bound can be derived: judged on the point estimate, and flagged so.
      const ok = g.bound === 'max' ? point <= g.threshold : point >= g.threshold;
      return { ...base, ...noEvidence(point), status: ok ? 'pass' : 'breach', test: 'point' };
    }
    return { ...base, ...noEvidence(point), status: 'wait', test: 'none' };
  }
  const { estimate, lower, upper } = interval;
  let status: GateStatus;
  if (g.bound === 'max')
    status = lower > g.threshold ? 'breach' : upper <= g.threshold ? 'pass' : 'inconclusive';
  else status = upper < g.threshold ? 'breach' : lower >= g.threshold ? 'pass' : 'inconclusive';
  return {
    ...base,
    value: Number.isFinite(estimate) ? estimate : null,
    status,
    test: interval.test,
    lower: finiteOrNull(lower),
    upper: finiteOrNull(upper),
    confidence,
    n: interval.n,
    controlN: interval.controlN,
    needMore: status === 'inconclusive' ? needMore(interval, g.threshold) : null,
  };
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

function noEvidence(point: number | null) {
  return {
    value: point,
    lower: null,
    upper: null,
    confidence: null,
    n: null,
    controlN: null,
    needMore: null,
  };
}

/**
 * ≈ further inferences before the interval's side facing the threshold clears it, if the estimate held. Rates,
 * quantiles and means: the half-width shrinks like 1/√n. Drift: the divergence is ≈ u·χ'²(ν, D/u) with
 * u ∝ 1/n + 1/N, so the half-width goes like √(2ν·u² + 4·D·u) — linear in u near the null, √u far from it — and
 * the baseline's 1/N never shrinks. Null when no sample size would do (the estimate on the threshold, or the
 * baseline's noise alone too big for it).
 */
export function needMore(interval: GateInterval, threshold: number): number | null {
  const { estimate, lower, upper, n } = interval;
  if (!Number.isFinite(estimate) || estimate === threshold || !(n > 0)) return null;
  const side = estimate < threshold ? upper - estimate : estimate - lower;
  if (!Number.isFinite(side) || !(side > 0)) return null;
  if (Math.abs(threshold - estimate) >= side) return 0;
  const control = interval.controlN ?? 0;
  if (interval.drift && control > 0) return driftNeedMore(interval, threshold, control);
  const shrink = (Math.abs(threshold - estimate) / side) ** 2; // wanted variance factor (< 1)
  return shrink > 0 ? Math.ceil(n / shrink - n) : null;
}

function driftNeedMore(interval: GateInterval, threshold: number, control: number): number | null {
  const { n } = interval;
  const nu = Math.max(1e-9, interval.drift!.df);
  // On the divergence's scale (a JS distance is the square root of one).
  const scale = (x: number) => (interval.drift!.distance ? x * x : x);
  const e = scale(interval.estimate);
  const t = scale(threshold);
  const edge = scale(e < t ? interval.upper : interval.lower);
  const u0 = 1 / n + 1 / control;
  const k = Math.abs(edge - e) / Math.sqrt(2 * nu * u0 * u0 + 4 * e * u0);
  const d = Math.abs(t - e) / k;
  const u = (-4 * e + Math.sqrt(16 * e * e + 8 * nu * d * d)) / (4 * nu);
  const inverseN = u - 1 / control;
  return inverseN > 0 ? Math.max(0, Math.ceil(1 / inverseN - n)) : null;
}

function driftGates(gates: Gates, candidate: CandidateFacts): PendingGate[] {
  const hasOverrides = Object.keys(gates.features ?? {}).length > 0;
  if (gates.maxPsi === undefined && gates.maxJs === undefined && !hasOverrides) return [];
  const none = () => null;
  if (!candidate.drift) {
    return [
      ...(gates.maxPsi !== undefined
        ? [{ gate: 'drift.psi', threshold: gates.maxPsi, bound: 'max' as const, interval: none }]
        : []),
      ...(gates.maxJs !== undefined
        ? [{ gate: 'drift.js', threshold: gates.maxJs, bound: 'max' as const, interval: none }]
        : []),
    ];
  }
  const out: PendingGate[] = [];
  for (const [side, features] of [
    ['input', candidate.drift.inputs],
    ['output', candidate.drift.outputs],
  ] as const) {
    for (const f of features) {
      const override = gates.features?.[f.name];
      for (const metric of ['psi', 'js'] as const) {
        const threshold =
          metric === 'psi' ? (override?.maxPsi ?? gates.maxPsi) : (override?.maxJs ?? gates.maxJs);
        if (threshold === undefined) continue;
        out.push({
          gate: `drift.${metric}.${side}.${f.name}`,
          threshold,
          bound: 'max',
          interval: (c) => driftInterval(metric, f.baselineCounts, f.windowCounts, c),
        });
      }
    }
  }
  return out;
}

/**
 * Stage members told to run the candidate (or that failed at it), those that settled (applied it or failed), and the
 * failures. Members not told yet (e.g. held back by maxConcurrentDownloads) join once they are.
 */
export function applyOutcomes(
  members: readonly TargetFacts[],
  candidate: string,
): { told: number; settled: number; failed: number } {
  let told = 0;
  let settled = 0;
  let failed = 0;
  for (const t of members) {
    if (t.failure !== null) {
      told++;
      settled++;
      failed++;
    } else if (t.desired && Object.values(t.desired).includes(candidate)) {
      told++;
      if (!t.pending) settled++;
    }
  }
  return { told, settled, failed };
}

/**
 * The apply-failure share of the stage's members is a finite-population quantity: the gate is about these
 * members, not a sample of a larger fleet, so it has no sampling error — the share among those that settled
 * (applied or failed) is exact. A member still switching is not counted until it settles; one that never does is
 * counted as failed once its apply timeout passes (`timed_out`). A binomial bound would treat the members as a
 * sample and could never pass a 10 % limit on a 5-device canary.
 */
function applyFailureInterval(
  told: number,
  settled: number,
  failed: number,
  levels: Levels,
): GateInterval | null {
  if (settled === 0) return null;
  return {
    estimate: failed / settled,
    lower: failed / settled,
    upper: failed / settled,
    confidence: coverage(levels),
    test: 'finite-population',
    n: settled,
    controlN: told,
  };
}

/** Share of stage members whose attempt at the candidate failed; null with no members. */
export function applyFailureShare(members: readonly TargetFacts[]): number | null {
  if (members.length === 0) return null;
  return members.filter((t) => t.failure !== null).length / members.length;
}

function telemetryGates(gates: Gates, facts: RolloutFacts, baselineEnough: boolean): PendingGate[] {
  const { candidate, baseline } = facts;
  const out: PendingGate[] = [];
  const add = (
    gate: string,
    threshold: number | undefined,
    bound: 'max' | 'min',
    interval: PendingGate['interval'],
    point?: number | null,
  ) => {
    if (threshold !== undefined)
      out.push({ gate, threshold, bound, interval, ...(point !== undefined ? { point } : {}) });
  };
  add('latency.p95Ms', gates.latencyP95Ms, 'max', (c) => latencyInterval(candidate.latency, 0.95, c));
  add('latency.p99Ms', gates.latencyP99Ms, 'max', (c) => latencyInterval(candidate.latency, 0.99, c));
  const control = baselineEnough ? (baseline?.latency ?? null) : null;
  add('latency.p95Ratio', gates.latencyP95Ratio, 'max', (c) =>
    latencyRatioInterval(candidate.latency, control, 0.95, c),
  );
  add('latency.p99Ratio', gates.latencyP99Ratio, 'max', (c) =>
    latencyRatioInterval(candidate.latency, control, 0.99, c),
  );
  add('errorRate', gates.maxErrorRate, 'max', (c) => rateInterval(candidate.errors, candidate.inferences, c));
  out.push(...driftGates(gates, candidate));
  const shadow = candidate.shadow;
  add('shadow.agreement', gates.minShadowAgreement, 'min', (c) =>
    shadow ? rateInterval(shadow.agreed, shadow.compared, c) : null,
  );
  for (const metric of gates.metrics ?? []) {
    const evidence = candidate.metricEvidence[metric.name];
    const point = candidate.metrics[metric.name] ?? null;
    const interval = (levels: Levels) => metricInterval(evidence, levels);
    add(`metric.${metric.name}`, metric.max, 'max', interval, point);
    add(`metric.${metric.name}`, metric.min, 'min', interval, point);
  }
  out.push(...qualityGates(gates, candidate.quality, baseline?.quality));
  return out;
}

/**
 * Evaluates a stage's minimums and every configured gate as a test at the rollout's `confidence`, family-wise over
 * the stage's looks (alpha spending, see `@edgefleet/shared/stats`) and over the gates: a breach of any one gate
 * rolls back, so each is tested at the look's α split over the gates (Bonferroni); a pass needs every gate to pass,
 * so each pass test takes the look's whole α (intersection-union: a wrong pass needs a wrong pass of a gate that is
 * truly past its threshold). Either way a wrong decision has probability at most 1 − confidence per stage.
 * Until the stage has its minimum reporting targets and inferences, telemetry gates `wait` and no look is spent.
 * The apply-failure share of the stage's members is bounded exactly (see `applyFailureInterval`) at every tick.
 * `previous` is the look of the last evaluation; a look of another stage is ignored.
 */
export function evaluateGates(
  gates: Gates,
  stage: Stage,
  facts: RolloutFacts,
  members: readonly TargetFacts[],
  options: {
    confidence?: number;
    previous?: StageLook | null;
    stageKey?: { index: number; startedAt: number | null };
    candidate?: string;
    /**
     * Whether a pass can take effect now (the stage lasted its minimum duration). Pass looks are counted only
     * then: the pass side's α is spent over the looks that can advance the stage, not over the ones before.
     * Default true.
     */
    canPass?: boolean;
    /** The next stage raises the automation level: the ladder's step-up gate joins the stage's gates. */
    stepUp?: boolean;
    /**
     * The stage reached its deadline (max duration): the first such tick is one more pass look, so a stage whose
     * gates pass there advances instead of ending undecided.
     */
    atDeadline?: boolean;
  } = {},
): GateEvaluation {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const { candidate, baseline } = facts;
  const targetsOk = candidate.reportingTargets >= stage.minReportingTargets;
  const inferencesOk = candidate.inferences >= stage.minInferences;
  const enough = targetsOk && inferencesOk;
  const minimum = (gate: string, value: number, threshold: number): GateValue => ({
    ...noEvidence(value),
    gate,
    threshold,
    bound: 'min',
    status: value >= threshold ? 'pass' : 'wait',
    test: 'minimum',
  });
  const values: GateValue[] = [
    minimum('minReportingTargets', candidate.reportingTargets, stage.minReportingTargets),
    minimum('minInferences', candidate.inferences, stage.minInferences),
  ];
  const baselineEnough = (baseline?.inferences ?? 0) >= stage.minInferences;
  const pending = telemetryGates(gates, facts, baselineEnough);
  if (options.stepUp) pending.push(stepUpGate(gates, candidate.quality));
  const outcomes = applyOutcomes(members, options.candidate ?? '');
  const failureGate: PendingGate | null =
    outcomes.settled > 0
      ? {
          gate: 'applyFailureShare',
          threshold: gates.maxApplyFailureShare ?? DEFAULT_MAX_APPLY_FAILURE_SHARE,
          bound: 'max',
          interval: (c) => applyFailureInterval(outcomes.told, outcomes.settled, outcomes.failed, c),
        }
      : null;
  const key = options.stageKey ?? { index: -1, startedAt: null };
  const sameStage =
    options.previous &&
    options.previous.stageIndex === key.index &&
    options.previous.stageStartedAt === key.startedAt;
  const previous = sameStage ? options.previous! : null;
  const canPass = options.canPass ?? true;
  let look: StageLook | null = previous;
  let passOpened = false;
  if (enough) {
    const breachLook = advanceLook(previous, candidate.inferences);
    const passPrevious = previous?.passLook ? { look: previous.passLook, n: previous.passN ?? 0 } : null;
    let passLook = canPass ? advanceLook(passPrevious, candidate.inferences) : passPrevious;
    const deadlineLook = canPass && options.atDeadline === true && !previous?.deadlineLook;
    if (deadlineLook && passLook && passLook === passPrevious)
      passLook = { look: passLook.look + 1, n: candidate.inferences };
    passOpened = passLook !== passPrevious;
    look = {
      ...breachLook,
      stageIndex: key.index,
      stageStartedAt: key.startedAt,
      ...(passLook ? { passLook: passLook.look, passN: passLook.n } : {}),
      ...(deadlineLook || previous?.deadlineLook ? { deadlineLook: true } : {}),
    };
  }
  const tests = pending.length + (failureGate ? 1 : 0);
  const levels = {
    breach: breachLevel(confidence, look?.look ?? 1, tests),
    pass: passLevel(confidence, look?.passLook ?? 1),
  };
  for (const g of pending) values.push(judged(g, levels, enough));
  if (failureGate) values.push(judged(failureGate, levels, true));
  let verdict = verdictOf(values);
  let passAt: number | null = null;
  if (verdict === 'pass' && look && canPass) {
    // A pass takes effect only at a tick that opens a pass look (or, held back e.g. by a maintenance window, at a
    // later tick of a look whose opening tick passed, every gate still passing): testing every tick between two
    // looks at the same look's level would let a pass through on any of many correlated re-tests, spending more
    // than the look's α. The breach side re-tests every tick within its design (`gates.false_rollback_rate`).
    // Before the minimum duration no pass can take effect and no pass look is counted: the verdict says what the
    // gates show; the first pass look opens at the first tick after it.
    const heldPass = !passOpened && look.passedLook !== undefined && look.passedLook === look.passLook;
    if (passOpened) look = { ...look, passedLook: look.passLook! };
    else if (!heldPass) {
      verdict = 'inconclusive';
      passAt = Math.ceil((look.passN ?? candidate.inferences) * LOOK_GROWTH);
    }
  }
  return { verdict, values, look, confidence, passAt };
}

const RANK: Record<GateStatus, number> = { pass: 0, inconclusive: 1, wait: 2, breach: 3 };

function verdictOf(values: readonly GateValue[]): GateStatus {
  let verdict: GateStatus = 'pass';
  for (const v of values) if (RANK[v.status] > RANK[verdict]) verdict = v.status;
  return verdict;
}

/** A one-line summary of breached gates with their bounds, e.g. `drift.psi.input.brightness 0.41 [0.3, 0.6] > 0.25`. */
export function describeBreaches(values: readonly GateValue[]): string {
  return values
    .filter((v) => v.status === 'breach')
    .map(
      (v) =>
        `${v.gate} ${formatNumber(v.value)}${formatInterval(v)} ${v.bound === 'max' ? '>' : '<'} ${v.threshold}`,
    )
    .join('; ');
}

/** A one-line summary of the gates that neither passed nor breached, with ≈ how much more data would decide them. */
export function describeUndecided(values: readonly GateValue[]): string {
  return values
    .filter((v) => v.status === 'inconclusive' || v.status === 'wait')
    .map((v) => {
      const more = v.needMore !== null ? `, needs ≈ ${v.needMore} more inferences` : '';
      return `${v.gate} ${v.status} ${formatNumber(v.value)}${formatInterval(v)} vs ${v.threshold}${more}`;
    })
    .join('; ');
}

function formatInterval(v: GateValue): string {
  if (v.lower === null && v.upper === null) return '';
  return ` [${formatNumber(v.lower)}, ${formatNumber(v.upper)}]`;
}

function formatNumber(value: number | null): string {
  if (value === null) return 'n/a';
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
}
