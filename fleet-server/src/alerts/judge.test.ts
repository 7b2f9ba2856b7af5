import { driftReport, Profile, type ProfileSpec } from '@edgefleet/shared';
import {
  binProbabilities,
  createRandom,
  normalCdf,
  type Random,
  referenceEdges,
} from '@edgefleet/shared/stats';
import { describe, expect, it } from 'vitest';
import { type JudgeOptions, judgeWindow, testsOf } from './judge';

// Seeded simulation of the monitoring alerts' decision on data drawn from the baseline's own distribution (the
// issue's setting: 10 features, a baseline of 300 reference samples with edges at its quantiles, windows of
// 100–5,000 inferences) and on shifted data. CI-sized; each evaluation is one family of 11–12 tests.

const FEATURES = 10;
const options: JudgeOptions = {
  psiThreshold: 0.25,
  errorRate: 0.05,
  latencyP95Ms: 0,
  confidence: 0.99,
  windows: 1,
};

function baselineOf(rng: Random, size: number): { spec: ProfileSpec; profile: Profile } {
  const inputs = Array.from({ length: FEATURES }, (_, f) => {
    const sample = Array.from({ length: size }, () => rng.normal());
    return { name: `f${f}`, edges: referenceEdges(sample), sample };
  });
  const spec: ProfileSpec = {
    v: 1,
    inputs: inputs.map(({ name, edges }) => ({ name, edges })),
    outputs: [],
    latency: { relativeAccuracy: 0.01, maxBins: 2048 },
  };
  const profile = new Profile(spec);
  for (let i = 0; i < size; i++)
    profile.observeInputs(Object.fromEntries(inputs.map((f) => [f.name, f.sample[i]!])));
  return { spec, profile };
}

/** A window of `n` inferences: every feature N(0, 1) except f0 N(shift, 1); errors Binomial(n, errorRate). */
function windowOf(rng: Random, spec: ProfileSpec, n: number, shift: number, errorRate: number): Profile {
  const window = new Profile(spec);
  window.inferences = n;
  for (const input of spec.inputs) {
    const mean = input.name === 'f0' ? shift : 0;
    const counts = rng.multinomial(
      n,
      binProbabilities(input.edges, (x) => normalCdf(x - mean)),
    );
    window.inputs.get(input.name)!.histogram.addCounts(counts);
  }
  const errors = rng.binomial(n, errorRate);
  for (let i = 0; i < errors; i++) window.recordError('infer');
  return window;
}

describe('judgeWindow (monitoring drift and quality alerts)', () => {
  it('counts every feature and test of the evaluation, per slice, in the Bonferroni family', () => {
    const { spec } = baselineOf(createRandom(1), 50);
    expect(testsOf(spec, options)).toBe(11);
    expect(testsOf(spec, { ...options, latencyP95Ms: 100, windows: 3 })).toBe(36);
  });

  // 10 baselines × 20 windows at each size: the point estimate alerts on most healthy windows, the bound on ≤ 1 %.
  it.each([100, 1_000, 5_000])('healthy windows of %i inferences: at most one false alert in 100', (n) => {
    const rng = createRandom(20 + n);
    let evaluations = 0;
    let falseAlerts = 0;
    let pointAlerts = 0;
    for (let b = 0; b < 10; b++) {
      const { spec, profile } = baselineOf(rng, 300);
      for (let w = 0; w < 20; w++) {
        const window = windowOf(rng, spec, n, 0, 0.02);
        const judged = judgeWindow(profile, window, options);
        evaluations++;
        if (judged.drift.some((d) => d.breach) || judged.errorRate?.breach) falseAlerts++;
        if (driftReport(profile, window).inputs.some((f) => (f.psi ?? 0) >= 0.25)) pointAlerts++;
      }
    }
    expect(falseAlerts / evaluations).toBeLessThanOrEqual(0.01);
    if (n === 100) expect(pointAlerts / evaluations).toBeGreaterThan(0.2); // what the point estimate did
  });

  // The criterion: ≥ 95 % within two windows of ≥ 200 inferences (an hour's window merges them: 400).
  it('finds one feature shifted by 1 sd within two 200-inference windows in ≥ 95 % of cases, and names it', () => {
    const rng = createRandom(7);
    let found = 0;
    for (let b = 0; b < 10; b++) {
      const { spec, profile } = baselineOf(rng, 300);
      for (let w = 0; w < 10; w++) {
        const judged = judgeWindow(profile, windowOf(rng, spec, 400, 1, 0.02), options);
        const breached = judged.drift.filter((d) => d.breach).map((d) => d.test);
        if (breached.length > 0) {
          found++;
          expect(breached).toEqual(['input f0']);
        }
      }
    }
    expect(found).toBeGreaterThanOrEqual(95);
  });

  it('raises quality on an error rate whose lower bound reaches the threshold, not on noise above it', () => {
    const rng = createRandom(8);
    const { spec, profile } = baselineOf(rng, 300);
    const high = judgeWindow(profile, windowOf(rng, spec, 2_000, 0, 0.1), options);
    expect(high.errorRate?.breach).toBe(true);
    expect(high.errorRate!.interval.lower).toBeGreaterThanOrEqual(0.05);
    // 7 errors in 100 is above 5 % as an estimate, but not shown to be: no alert.
    const thin = windowOf(rng, spec, 100, 0, 0);
    for (let i = 0; i < 7; i++) thin.recordError('infer');
    const judged = judgeWindow(profile, thin, options);
    expect(judged.errorRate!.interval.estimate).toBeCloseTo(0.07, 10);
    expect(judged.errorRate!.breach).toBe(false);
    expect(judged.perTestConfidence).toBeCloseTo(1 - 0.01 / 11, 12);
  });

  it('bounds the latency p95 from the sketch', () => {
    const { spec, profile } = baselineOf(createRandom(9), 50);
    const window = new Profile(spec);
    window.inferences = 1_000;
    for (let i = 0; i < 1_000; i++) window.observeLatency('total', i < 900 ? 10 : 80);
    const judged = judgeWindow(profile, window, { ...options, latencyP95Ms: 50 });
    expect(judged.latencyP95Ms?.breach).toBe(true);
    expect(judgeWindow(profile, window, { ...options, latencyP95Ms: 100 }).latencyP95Ms?.breach).toBe(false);
  });
});
