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
import { DEFAULT_MAX_DURATION_FACTOR } from './stages';
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
  /** Stop after this many ticks (detection figures look at the first few); default: until the stage's deadline. */
  maxTicks?: number;
  confidence?: number;
}

/** What happened in one simulated stage. */
export interface StageOutcome {
  /**
   * `breach`: rolled back; `pass`: advanced once the stage lasted its minimum; `inconclusive`: paused at the stage's
   * deadline (4 × its minimum) with gates undecided; `undecided`: none of these by `maxTicks`.
   */
  result: 'breach' | 'pass' | 'inconclusive' | 'undecided';
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
  const ticks = scenario.maxTicks ?? Math.ceil((DEFAULT_MAX_DURATION_FACTOR * stageMs) / tickMs);
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
    if (event === 'paused' && process.env.TRACE) console.log(JSON.stringify(features[1]!.window));
    if (event === 'paused') return { result: 'inconclusive', tick, inferencesAtDecision: firstPass };
  }
  return { result: 'undecided', tick: ticks, inferencesAtDecision: firstPass };
}

/** The gates of the healthy and 1-sd figures: the documented default PSI threshold, error rate 2 × the true 1 %. */
export const FIGURE_GATES: Gates = { maxPsi: 0.25, maxErrorRate: 0.02 };

/** One cell of the simulation grid. */
export interface GridCell {
  baselineSize: number;
  features: number;
  perWindow: number;
}

/** Every combination of the given baseline sizes, feature counts and window sizes. */
export function grid(baselineSizes: number[], features: number[], perWindow: number[]): GridCell[] {
  const cells: GridCell[] = [];
  for (const baselineSize of baselineSizes)
    for (const f of features)
      for (const w of perWindow) cells.push({ baselineSize, features: f, perWindow: w });
  return cells;
}

/** Whole healthy stages (to the deadline) over `cells`, `runs` seeds each: how they ended. */
export function healthyStages(cells: GridCell[], runs: number, seed = 1) {
  const outcomes: StageOutcome[] = [];
  for (const cell of cells)
    for (let r = 0; r < runs; r++)
      outcomes.push(
        simulateStage({
          ...cell,
          seed: seed + r * 7919 + cell.baselineSize + cell.features * 31 + cell.perWindow,
          gates: FIGURE_GATES,
        }),
      );
  const count = (result: StageOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  const decided = outcomes
    .map((o) => o.inferencesAtDecision)
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);
  return {
    stages: outcomes.length,
    rollbacks: count('breach'),
    passes: count('pass'),
    inconclusive: count('inconclusive') + count('undecided'),
    medianInferencesToPass: decided.length > 0 ? decided[Math.floor(decided.length / 2)]! : null,
  };
}

/**
 * Stages whose feature 0 is shifted by `shiftSd` (and whose error rate is `errorRate`): the share rolled back
 * within `windows` telemetry windows of 60 s, and the candidate inferences at each rollback (sorted).
 */
export function shiftedStages(
  cells: GridCell[],
  runs: number,
  options: { shiftSd?: number; errorRate?: number; windows: number; gates?: Gates; seed?: number },
) {
  let detected = 0;
  const atRollback: number[] = [];
  for (const cell of cells)
    for (let r = 0; r < runs; r++) {
      const outcome = simulateStage({
        ...cell,
        seed: (options.seed ?? 2) + r * 7919 + cell.baselineSize + cell.features * 31 + cell.perWindow,
        shiftSd: options.shiftSd ?? 0,
        errorRate: options.errorRate ?? 0.01,
        gates: options.gates ?? FIGURE_GATES,
        maxTicks: (options.windows * 60_000) / 10_000,
      });
      if (outcome.result === 'breach') {
        detected++;
        atRollback.push(outcome.inferencesAtDecision ?? 0);
      }
    }
  return { stages: cells.length * runs, detected, atRollback: atRollback.sort((a, b) => a - b) };
}
