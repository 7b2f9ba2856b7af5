import {
  binCounts,
  binProbabilities,
  createRandom,
  normalCdf,
  type Random,
  referenceEdges,
} from '@edgefleet/shared/stats';
import { decide } from './decide';
import type { Gates } from './gates';
import {
  type CandidateFacts,
  DEFAULT_APPLY_TIMEOUT_MS,
  type FeatureDriftValue,
  type Rollout,
  type StageLook,
} from './types';

// A seeded simulator that runs the real `decide` tick by tick over a whole stage: a baseline of `baselineSize`
// reference values per feature (edges and counts as the baseline builder makes them), a candidate whose features
// are drawn from the population (healthy) or with one feature's mean shifted, errors drawn at a rate, the stage's
// telemetry merged as the controller merges it, one decision per tick. Used by the CI test (small) and
// `pnpm bench` (full size): the figures in the README come from here.

/** One simulated stage. */
export interface StageScenario {
  seed: number;
  /** Reference values per feature in the baseline (300 as `pnpm demo`, 2,000). */
  baselineSize: number;
  /** Gated features (inputs and outputs together). */
  features: number;
  /** Candidate inferences per 60 s telemetry window. */
  perWindow: number;
  /** Mean shift of feature 0 in baseline standard deviations (0: healthy). */
  shiftSd?: number;
  /** The candidate's true error rate. Default 0.01. */
  errorRate?: number;
  /** Gates; default maxPsi 0.25 (the documented default) and maxErrorRate 0.015. */
  gates?: Gates;
  /** Stage minimum duration; default 30 min. */
  stageMs?: number;
  tickMs?: number;
  /** Run past the stage's minimum until this many ticks (for detection figures); default: the stage's ticks. */
  maxTicks?: number;
  confidence?: number;
}

/** What happened in one simulated stage. */
export interface StageOutcome {
  /** `breach`: rolled back; `pass`: advanced at the end of the stage; `undecided`: neither by the last tick. */
  result: 'breach' | 'pass' | 'undecided';
  /** Tick of the rollback or advance (1-based), or of the last tick. */
  tick: number;
  /** Candidate inferences when the gates first all passed (null: never), or at the rollback. */
  inferencesAtDecision: number | null;
}

/** Default gates of the simulation: the documented default PSI threshold and an error-rate limit of 1.5 %. */
export const SIMULATION_GATES: Gates = { maxPsi: 0.25, maxErrorRate: 0.015 };

interface SimFeature {
  baselineCounts: number[];
  q: number[];
  window: number[];
}

function simFeature(rng: Random, baselineSize: number, shiftSd: number): SimFeature {
  const reference = Array.from({ length: baselineSize }, () => rng.normal());
  const edges = referenceEdges(reference);
  return {
    baselineCounts: binCounts(reference, edges),
    q: binProbabilities(edges, (x) => normalCdf(x - shiftSd)),
    window: new Array<number>(edges.length + 1).fill(0),
  };
}

/** Runs one stage of a canary tick by tick through `decide`. */
export function simulateStage(scenario: StageScenario): StageOutcome {
  const rng = createRandom(scenario.seed);
  const tickMs = scenario.tickMs ?? 10_000;
  const stageMs = scenario.stageMs ?? 30 * 60_000;
  const ticks = scenario.maxTicks ?? Math.ceil(stageMs / tickMs);
  const errorRate = scenario.errorRate ?? 0.01;
  const features = Array.from({ length: scenario.features }, (_, i) =>
    simFeature(rng, scenario.baselineSize, i === 0 ? (scenario.shiftSd ?? 0) : 0),
  );
  const rollout: Rollout = {
    spec: {
      id: 'sim',
      modelName: 'sim',
      candidate: '2.0.0',
      baseline: '1.0.0',
      target: { kind: 'app', appId: 'sim' },
      strategy: 'canary',
      stages: [
        {
          percent: 5,
          minDurationMs: stageMs,
          minReportingTargets: 1,
          minInferences: 100,
          maxDurationMs: ticks * tickMs * 2,
        },
        { percent: 100, minDurationMs: 0, minReportingTargets: 1, minInferences: 100 },
      ],
      gates: scenario.gates ?? SIMULATION_GATES,
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
  const perTick = (scenario.perWindow * tickMs) / 60_000;
  let inferences = 0;
  let errors = 0;
  let carry = 0;
  let look: StageLook | null = null;
  let firstPass: number | null = null;
  for (let tick = 1; tick <= ticks; tick++) {
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    inferences += n;
    errors += rng.binomial(n, errorRate);
    for (const f of features) {
      const drawn = rng.multinomial(n, f.q);
      for (let i = 0; i < drawn.length; i++) f.window[i]! += drawn[i]!;
    }
    const candidate: CandidateFacts = {
      reportingTargets: 1,
      inferences,
      errors,
      errorRate: inferences > 0 ? errors / inferences : null,
      latencyP95Ms: null,
      latencyP99Ms: null,
      latency: null,
      drift: {
        inputs: features.map(
          (f, i): FeatureDriftValue => ({
            name: `f${i}`,
            psi: null,
            js: null,
            baselineCounts: f.baselineCounts,
            windowCounts: f.window,
          }),
        ),
        outputs: [],
      },
      shadow: null,
      metrics: {},
      metricEvidence: {},
    };
    const decision = decide(rollout, { candidate, baseline: null, targets: [], look }, tick * tickMs);
    look = decision.evaluation?.look ?? look;
    if (firstPass === null && decision.evaluation?.verdict === 'pass') firstPass = inferences;
    const event = decision.transitions[0]?.event;
    if (event === 'rolled_back') return { result: 'breach', tick, inferencesAtDecision: inferences };
    if (event === 'advanced') return { result: 'pass', tick, inferencesAtDecision: firstPass };
  }
  return { result: 'undecided', tick: ticks, inferencesAtDecision: firstPass };
}
