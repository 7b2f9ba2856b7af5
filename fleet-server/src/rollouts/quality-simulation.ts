import { createRandom, type Random } from '@edgefleet/shared/stats';
import { decide } from './decide';
import type { Gates } from './gates';
import { DEFAULT_MAX_DURATION_FACTOR, type Stage } from './stages';
import {
  type CandidateFacts,
  DEFAULT_APPLY_TIMEOUT_MS,
  type QualityCounts,
  type Rollout,
  type StageLook,
} from './types';

// A seeded simulator of the quality gates and the ladder's step-up gate: the real `decide`, tick by tick (10 s
// ticks, 30 min stage, its 2 h deadline), over a candidate cohort (the stage's members) and a control cohort (the
// targets still on the baseline version) whose operators label what they review (every review-routed inference)
// and spot-check a share of what the model decided alone. The CI test is `quality-simulation.test.ts`, the full
// size `pnpm bench` (fleet-server/bench/gates.ts); the README quotes its figures.

/** One cohort's truth: its accuracy (the same on both routes) and the share routed to review. */
export interface CohortTruth {
  accuracy: number;
  reviewShare: number;
}

/** One simulated stage. */
export interface QualityScenario {
  seed: number;
  candidate: CohortTruth;
  control: CohortTruth;
  /** Candidate inferences per 60 s window; the control cohort gets `controlRatio` × as many. */
  perWindow: number;
  controlRatio?: number;
  /** Share of the auto-decided inferences an operator labels anyway (spot checks). Default 0.05. */
  spotCheck?: number;
  gates: Gates;
  /** The stage steps the automation level up (the ladder's step-up gate joins). */
  stepUp?: boolean;
  stageMs?: number;
  maxTicks?: number;
  confidence?: number;
}

/** How a simulated stage ended, and the candidate's labels then. */
export interface QualityOutcome {
  result: 'breach' | 'pass' | 'inconclusive' | 'undecided';
  labels: number;
}

/** The gates of the figures: accuracy and agreement may drop 2 points, review share rise 5, 100 labels first. */
export const QUALITY_FIGURE_GATES: Gates = {
  maxAccuracyDrop: 0.02,
  maxAgreementDrop: 0.02,
  maxReviewShareRise: 0.05,
  minLabels: 100,
};

function addWindow(rng: Random, into: QualityCounts, n: number, truth: CohortTruth, spotCheck: number) {
  const review = rng.binomial(n, truth.reviewShare);
  const spot = rng.binomial(n - review, spotCheck);
  const reviewCorrect = rng.binomial(review, truth.accuracy);
  const spotCorrect = rng.binomial(spot, truth.accuracy);
  into.routedReview += review;
  into.routedAuto += n - review;
  into.reviewLabelled += review;
  into.reviewCorrect += reviewCorrect;
  into.labelled += review + spot;
  into.correct += reviewCorrect + spotCorrect;
}

const empty = (): QualityCounts => ({
  labelled: 0,
  correct: 0,
  reviewLabelled: 0,
  reviewCorrect: 0,
  routedAuto: 0,
  routedReview: 0,
});

function rolloutOf(scenario: QualityScenario, stageMs: number): Rollout {
  const base = { minReportingTargets: 1, minInferences: 100 };
  const stages: Stage[] = scenario.stepUp
    ? [
        { percent: 100, minDurationMs: stageMs, ...base, automation: { level: 'assist' } },
        { percent: 100, minDurationMs: 0, ...base, automation: { level: 'full' } },
      ]
    : [
        { percent: 5, minDurationMs: stageMs, ...base },
        { percent: 100, minDurationMs: 0, ...base },
      ];
  return {
    spec: {
      id: 'sim',
      modelName: 'sim',
      candidate: '2.0.0',
      baseline: '1.0.0',
      target: { kind: 'app', appId: 'sim' },
      strategy: 'canary',
      stages,
      gates: scenario.gates,
      onBreach: 'rollback',
      confidence: scenario.confidence ?? 0.99,
      salt: 'sim',
      startAt: 0,
      maintenanceWindows: [],
      maxConcurrentDownloads: null,
      applyTimeoutMs: DEFAULT_APPLY_TIMEOUT_MS,
    },
    state: { status: 'running', stageIndex: 0, stageStartedAt: 0, version: 1 },
  };
}

/** Runs one stage tick by tick through `decide`. */
export function simulateQualityStage(scenario: QualityScenario): QualityOutcome {
  const rng = createRandom(scenario.seed);
  const tickMs = 10_000;
  const stageMs = scenario.stageMs ?? 30 * 60_000;
  const ticks = scenario.maxTicks ?? Math.ceil((DEFAULT_MAX_DURATION_FACTOR * stageMs) / tickMs);
  const spotCheck = scenario.spotCheck ?? 0.05;
  const rollout = rolloutOf(scenario, stageMs);
  const candidateCounts = empty();
  const controlCounts = empty();
  const perTick = (scenario.perWindow * tickMs) / 60_000;
  const controlPerTick = perTick * (scenario.controlRatio ?? 19);
  let inferences = 0;
  let controlInferences = 0;
  let look: StageLook | null = null;
  let carry = 0;
  let controlCarry = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    carry += perTick;
    controlCarry += controlPerTick;
    const n = Math.floor(carry);
    const m = Math.floor(controlCarry);
    carry -= n;
    controlCarry -= m;
    inferences += n;
    controlInferences += m;
    addWindow(rng, candidateCounts, n, scenario.candidate, spotCheck);
    addWindow(rng, controlCounts, m, scenario.control, spotCheck);
    const candidate: CandidateFacts = {
      reportingTargets: 1,
      inferences,
      errors: 0,
      errorRate: inferences > 0 ? 0 : null,
      latencyP95Ms: null,
      latencyP99Ms: null,
      latency: null,
      drift: null,
      shadow: null,
      metrics: {},
      metricEvidence: {},
      quality: { ...candidateCounts },
    };
    const baseline = {
      inferences: controlInferences,
      latencyP95Ms: null,
      latencyP99Ms: null,
      latency: null,
      quality: { ...controlCounts },
    };
    const decision = decide(rollout, { candidate, baseline, targets: [], look }, tick * tickMs);
    look = decision.evaluation?.look ?? look;
    const event = decision.transitions[0]?.event;
    const labels = candidateCounts.labelled;
    if (event === 'rolled_back') return { result: 'breach', labels };
    if (event === 'advanced') return { result: 'pass', labels };
    if (event === 'paused')
      return {
        // A step-up gate clearly below its threshold pauses at once (a breach), the deadline pauses undecided ones.
        result: decision.deadline ? 'inconclusive' : 'breach',
        labels,
      };
  }
  return { result: 'undecided', labels: candidateCounts.labelled };
}

/** `runs` seeded stages of one scenario: how many ended each way, and the median labels at the decision. */
export function qualityStages(scenario: Omit<QualityScenario, 'seed'>, runs: number, seed = 1) {
  const outcomes = Array.from({ length: runs }, (_, r) =>
    simulateQualityStage({ ...scenario, seed: seed + r * 7919 }),
  );
  const count = (result: QualityOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  const labels = outcomes.map((o) => o.labels).sort((a, b) => a - b);
  return {
    stages: runs,
    breaches: count('breach'),
    passes: count('pass'),
    undecided: count('inconclusive') + count('undecided'),
    medianLabels: labels[Math.floor(labels.length / 2)] ?? 0,
  };
}
