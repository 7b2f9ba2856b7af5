// Gate statistics, measured by the seeded simulator (src/rollouts/gate-simulation.ts) that runs the real `decide`
// tick by tick (10 s ticks, 60 s telemetry windows, 30 min stage, deadline 4 × that) over a grid of baselines of
// 300 and 2,000 reference values, 10 and 50 gated features, and 40 to 5,000 inferences per window.
// Usage: pnpm bench (env: BENCH_GATES_RUNS, stages per grid cell, default 40)

import { clopperPearson } from '@edgefleet/shared/stats';
import { grid, healthyStages, shiftedStages } from '../src/rollouts/gate-simulation';

const RUNS = Number(process.env.BENCH_GATES_RUNS ?? 40);
const started = performance.now();

const healthy = healthyStages(grid([300, 2000], [10, 50], [40, 200, 5000]), RUNS);
const upper = clopperPearson(healthy.rollbacks, healthy.stages, 0.9).upper;
console.log(
  `gates.false_rollback_rate: ${(healthy.rollbacks / healthy.stages).toFixed(4)} ratio ` +
    `(${healthy.rollbacks} of ${healthy.stages} healthy stages; 95 % upper bound ${upper.toFixed(4)})`,
);
console.log(
  `gates.healthy_inconclusive_rate: ${(healthy.inconclusive / healthy.stages).toFixed(4)} ratio (paused at the deadline)`,
);
console.log(`gates.median_inferences_to_decision: ${healthy.medianInferencesToPass} inferences`);

for (const baselineSize of [300, 2000])
  for (const features of [10, 50]) {
    const shifted = shiftedStages(grid([baselineSize], [features], [200, 1000]), RUNS, {
      shiftSd: 1,
      windows: 2,
    });
    const name = `gates.detect_rate_1sd.baseline_${baselineSize}.features_${features}`;
    console.log(`${name}: ${(shifted.detected / shifted.stages).toFixed(3)} ratio (within 2 windows)`);
  }
const all = shiftedStages(grid([300, 2000], [10, 50], [200, 1000]), RUNS, {
  shiftSd: 1,
  windows: 2,
  seed: 3,
});
console.log(
  `gates.detect_rate_1sd: ${(all.detected / all.stages).toFixed(3)} ratio (within 2 windows, whole grid)`,
);

const errors = shiftedStages(grid([2000], [10], [1000]), RUNS * 2, {
  errorRate: 0.02,
  windows: 60,
  gates: { maxPsi: 0.25, maxErrorRate: 0.015 },
});
const p95 = errors.atRollback[Math.ceil(0.95 * errors.stages) - 1];
console.log(
  `gates.detect_rate_error_2x: ${p95 ?? 'n/a (under 95 % detected in 60 windows)'} inferences ` +
    `(95 % of candidates at 2 % errors rolled back by then; gate maxErrorRate 1.5 %, ${errors.detected} of ${errors.stages} detected)`,
);
console.log(`gates.bench_s: ${((performance.now() - started) / 1000).toFixed(0)} s`);
