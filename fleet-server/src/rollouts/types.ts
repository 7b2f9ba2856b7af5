import type { Automation, RolloutStrategy } from '@edgefleet/shared';
import type { BreachAction, InconclusiveAction, RolloutEvent, RolloutStatus } from '@edgefleet/shared/api';
import type { Gates, GateValue } from './gates';
import type { MaintenanceWindow } from './maintenance';
import type { Stage } from './stages';

// The contract's enums are the domain's: statuses, events and breach actions are what the API shows.
export type { BreachAction, InconclusiveAction, RolloutEvent, RolloutStatus };

/** Who a rollout targets: devices by label selector, explicit devices, or a web app's browsers. */
export type RolloutTarget =
  | { kind: 'selector'; selector: string }
  | { kind: 'devices'; ids: string[] }
  | { kind: 'app'; appId: string };

/** Statuses of a rollout that still owns its targets. */
export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['scheduled', 'running', 'paused'];

/** The immutable part of a rollout, fixed at creation. */
export interface RolloutSpec {
  id: string;
  modelName: string;
  candidate: string;
  /**
   * The version the candidate replaces; null for a first deployment: targets outside the stage, and every target
   * after a rollback or abort, then get no version of the model at all.
   */
  baseline: string | null;
  target: RolloutTarget;
  strategy: RolloutStrategy;
  stages: Stage[];
  gates: Gates;
  onBreach: BreachAction;
  /**
   * Family-wise confidence of the gate decisions (over every gate and every look of a stage); absent in rollouts
   * stored before it existed: {@link DEFAULT_CONFIDENCE} (0.99).
   */
  confidence?: number;
  /** What a stage still undecided at its `maxDurationMs` does; absent: `pause`. */
  onInconclusive?: InconclusiveAction;
  /** Salt of `bucketOf(targetId, salt)`; membership of a target never changes within a rollout. */
  salt: string;
  /** No stage starts before this time (ms). */
  startAt: number;
  maintenanceWindows: MaintenanceWindow[];
  /** At most this many targets switching to the candidate at once (optional). */
  maxConcurrentDownloads: number | null;
  /** A target that neither applies the candidate nor reports a failure within this long counts as failed (`timed_out`). */
  applyTimeoutMs: number;
}

/** Default of {@link RolloutSpec.applyTimeoutMs}: 15 minutes. */
export const DEFAULT_APPLY_TIMEOUT_MS = 900_000;

/** The mutable part, stored in the database; `version` rises with every transition (optimistic lock). */
export interface RolloutState {
  status: RolloutStatus;
  stageIndex: number;
  /** When the current stage began; null before the start. */
  stageStartedAt: number | null;
  version: number;
}

/** A rollout as the decision module sees it. */
export interface Rollout {
  spec: RolloutSpec;
  state: RolloutState;
}

/** Versions a target should load, per role (null: none). */
export interface Assignment {
  active: string | null;
  shadow: string | null;
  standby: string | null;
}

/** What quantile bounds need of a latency sketch (a DDSketch). */
export interface LatencySketch {
  count: number;
  quantile(q: number): number;
  valueAtRank(rank: number, edge: 'lower' | 'upper'): number;
}

/** The data behind a profile metric, where a bound can be derived from it. */
export type MetricEvidence =
  | { kind: 'share'; successes: number; trials: number }
  | { kind: 'mean'; mean: number; std: number; count: number };

/** Where a stage's sequential looks stand (persisted with the stage's evaluation). */
export interface StageLook {
  stageIndex: number;
  stageStartedAt: number | null;
  /** 1-based look; a new one opens when the candidate's inferences grew 1.5× since the last. */
  look: number;
  /** Candidate inferences that opened the look. */
  n: number;
  /**
   * The pass side's look (1-based), counted only at ticks where a pass can advance the stage (it lasted its
   * minimum duration); absent before the first such tick.
   */
  passLook?: number;
  /** Candidate inferences that opened the pass look. */
  passN?: number;
  /** The pass look whose opening tick found every gate passing (a pass held back may take effect later in it). */
  passedLook?: number;
  /** The stage's deadline tick spent its extra pass look (set once, so an `extend` does not add one per tick). */
  deadlineLook?: boolean;
}

/** What the candidate's telemetry says, merged over targets in the stage since the stage began. */
export interface CandidateFacts {
  reportingTargets: number;
  inferences: number;
  /** Inferences that ended in an error. */
  errors: number;
  errorRate: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  /** End-to-end latency sketch (quantile bounds); null without data. */
  latency: LatencySketch | null;
  /** PSI / JS per input feature and output against the candidate's baseline; null without data or baseline. */
  drift: { inputs: FeatureDriftValue[]; outputs: FeatureDriftValue[] } | null;
  /** Shadow comparisons (shadow strategy); null when none were reported. */
  shadow: { compared: number; agreed: number } | null;
  /** Any other metric of the merged profile, by name (e.g. `outputs.confidence.mean`). */
  metrics: Record<string, number>;
  /** The data behind `metrics` where a bound can be derived (shares: counts; means: sd and count). */
  metricEvidence: Record<string, MetricEvidence>;
  /** Operator feedback of the cohort (quality gates, the automation ladder); null or absent: none reported. */
  quality?: QualityCounts | null;
}

/** A cohort's operator feedback summed over its window reports: what quality gates are tested on. */
export interface QualityCounts {
  /** Labelled predictions, and those whose label equals the model's answer. */
  labelled: number;
  correct: number;
  /** Of them, the predictions routed to review (agreement with humans on reviewed predictions). */
  reviewLabelled: number;
  reviewCorrect: number;
  /** Inferences the model decided alone, and those routed to review (review share). */
  routedAuto: number;
  routedReview: number;
}

/** Drift of one feature: the plug-in distances and the bin counts the gate's interval is computed from. */
export interface FeatureDriftValue {
  name: string;
  psi: number | null;
  js: number | null;
  /** Counts of the candidate's baseline profile over its bins (under/overflow first and last); null without. */
  baselineCounts: number[] | null;
  /** Counts of the stage's merged window over the same bins. */
  windowCounts: number[] | null;
}

/** The baseline version's telemetry over the same window (for relative latency gates). */
export interface BaselineFacts {
  inferences: number;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  /** The control cohort's end-to-end latency sketch. */
  latency: LatencySketch | null;
  /** The control cohort's operator feedback (quality gates); null or absent: none reported. */
  quality?: QualityCounts | null;
}

/** One device target: what it was last told to run, and whether it applied it. */
export interface TargetFacts {
  id: string;
  /** Versions of its current desired state (null: never given one). */
  desired: Assignment | null;
  /** Desired rev not yet applied. */
  pending: boolean;
  /** The error of its last failed attempt at the candidate, if it failed. */
  failure: string | null;
  /** The automation level of its current desired state (null: none, the model decides); absent: not read. */
  automation?: Automation | null;
}

/** Everything the controller knows at one tick. */
export interface RolloutFacts {
  candidate: CandidateFacts;
  baseline: BaselineFacts | null;
  /** Device targets (empty for a web app target). */
  targets: TargetFacts[];
  /** The look of the last evaluation (sequential testing); null or absent: none yet. */
  look?: StageLook | null;
  /** Steps the automation ladder went down in the current stage (quality breaches); absent: 0. */
  stepsDown?: number;
  /** The automation level in force per device target from the automation store (absent: none stored). */
  storedLevels?: ReadonlyMap<string, Automation>;
}

/** A change of state with who, why and the gate values it was decided on. */
export interface Transition {
  event: RolloutEvent;
  from: RolloutState;
  to: RolloutState;
  actor: string;
  reason: string;
  gates: GateValue[];
}

/** A target whose desired state must change. */
export interface DesiredChange {
  targetId: string;
  assignment: Assignment;
  /** The automation level it gets (the stage's rung of the ladder, or the stored level); absent: keep its own. */
  automation?: Automation;
}

/** The app plan slot of a web-app target: what every browser runs and the candidate's share. */
export interface AppPlanChange {
  /** Null: browsers outside the candidate's share run no version of the model (first deployment). */
  current: string | null;
  candidate: { version: string; percent: number } | null;
}
