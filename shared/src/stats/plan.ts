// Planning: about how many candidate inferences a stage needs before its gates can decide a healthy candidate
// (every bound on the passing side of its threshold), with the same bounds and the same level as the gates' pass
// test at the first look where a pass can advance the stage. Figures are "≈": the median healthy stage, not a
// guarantee.

import { binomialTrialsNeeded } from './binomial';
import { jsDistanceInterval, psiInterval } from './divergence';
import { createRandom } from './random';
import { passLevel } from './sequential';

/** One gate to plan: a divergence gate over a feature's baseline counts, or a rate gate. */
export type PlannedGate =
  | { gate: string; kind: 'psi' | 'js'; threshold: number; baselineCounts: readonly number[] }
  | { gate: string; kind: 'rate_max' | 'rate_min'; threshold: number; expected: number };

/** How the gates are tested. */
export interface PlanOptions {
  /** Family-wise confidence of the stage's decision (the rollout's), e.g. 0.99. */
  confidence: number;
  /** Healthy windows drawn per size for divergence gates (the median decides). Default 11. */
  draws?: number;
  /** Seed of those draws (the same seed gives the same plan). Default 1. */
  seed?: number;
}

/** Most inferences a plan looks at; beyond, the gate is called undecidable. */
export const PLAN_MAX_INFERENCES = 100_000_000;

/**
 * ≈ inferences a healthy candidate needs before `gate` passes: rate gates by Clopper-Pearson at the expected
 * rate (`binomialTrialsNeeded`), divergence gates by the median of seeded healthy windows drawn from populations
 * as far from the baseline sample as its own noise allows (the bound counts the baseline's noise, so a small baseline can make a tight
 * threshold undecidable: Infinity). Each bound is at the gates' pass level of the first pass look (a pass needs every
 * gate to pass, so no split over the gates; see `passLevel`).
 */
export function inferencesToDecide(gate: PlannedGate, options: PlanOptions): number {
  const level = passLevel(options.confidence, 1);
  if (gate.kind === 'rate_max' || gate.kind === 'rate_min') {
    if (gate.kind === 'rate_max' ? gate.expected >= gate.threshold : gate.expected <= gate.threshold)
      return Number.POSITIVE_INFINITY;
    const n = binomialTrialsNeeded(gate.expected, gate.threshold, level);
    return n > PLAN_MAX_INFERENCES ? Number.POSITIVE_INFINITY : n;
  }
  return gate.kind === 'psi' || gate.kind === 'js'
    ? divergenceToDecide(gate, options, level)
    : Number.POSITIVE_INFINITY;
}

function divergenceToDecide(
  gate: Extract<PlannedGate, { kind: 'psi' | 'js' }>,
  options: PlanOptions,
  confidence: number,
): number {
  const total = gate.baselineCounts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return Number.POSITIVE_INFINITY;
  // The healthy population is not the baseline sample: each draw takes a population as far from the sample as
  // the sample's own noise puts it (a parametric bootstrap of the baseline, with the empty under/overflow bins at
  // their expected count of 1), then a window from that population.
  const last = gate.baselineCounts.length - 1;
  const seeded = gate.baselineCounts.map((c, i) => ((i === 0 || i === last) && c === 0 ? 1 : c));
  const seededTotal = seeded.reduce((a, b) => a + b, 0);
  const draws = options.draws ?? 11;
  const bound = gate.kind === 'psi' ? psiInterval : jsDistanceInterval;
  const passes = (n: number) => {
    const rng = createRandom(options.seed ?? 1);
    let passed = 0;
    for (let d = 0; d < draws; d++) {
      const population = rng.multinomial(seededTotal, seeded);
      if (bound(gate.baselineCounts, rng.multinomial(n, population), confidence).upper < gate.threshold)
        passed++;
    }
    return passed * 2 > draws;
  };
  // Geometric search then bisection to ~2 %: passing is monotone in n up to the draws' noise.
  let hi = 16;
  while (!passes(hi)) {
    hi *= 2;
    if (hi > PLAN_MAX_INFERENCES) return Number.POSITIVE_INFINITY;
  }
  let lo = hi / 2;
  while (hi - lo > Math.max(1, hi * 0.02)) {
    const mid = Math.floor((lo + hi) / 2);
    if (passes(mid)) hi = mid;
    else lo = mid;
  }
  return Math.ceil(hi);
}
