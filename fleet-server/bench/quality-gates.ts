// Quality gates and the automation ladder's step-up gate, measured by the seeded simulator
// (src/rollouts/quality-simulation.ts) that runs the real `decide` tick by tick (10 s ticks, 30 min stage, deadline
// 4 × that) over a 5 % candidate cohort (200 inferences per window) and the control cohort (19 × as many), whose
// operators label every inference routed to review (30 %) and spot-check 5 % of the rest; accuracy 0.95, gates
// maxAccuracyDrop 0.02, maxAgreementDrop 0.02, maxReviewShareRise 0.05 at 99 % family-wise.
// Usage: pnpm bench (env: BENCH_GATES_RUNS, stages per scenario, default 40)

import { clopperPearson } from '@edgefleet/shared/stats';
import { QUALITY_FIGURE_GATES, qualityStages } from '../src/rollouts/quality-simulation';

const RUNS = Number(process.env.BENCH_GATES_RUNS ?? 40);
const started = performance.now();
const control = { accuracy: 0.95, reviewShare: 0.3 };
const gates = QUALITY_FIGURE_GATES;
const rate = (k: number, n: number) =>
  `${(k / n).toFixed(4)} ratio (${k} of ${n}; 95 % upper bound ${clopperPearson(k, n, 0.9).upper.toFixed(4)})`;

const healthy = qualityStages({ candidate: control, control, perWindow: 200, gates }, RUNS);
console.log(
  `gates.quality_false_rollback_rate: ${rate(healthy.breaches, healthy.stages)} (candidate = control)`,
);
console.log(`gates.quality_median_labels_to_pass: ${healthy.medianLabels} labels`);
// The worst case a false breach has: every gate exactly at its threshold.
const edge = { accuracy: 0.93, reviewShare: 0.35 };
const atEdge = qualityStages({ candidate: edge, control, perWindow: 200, gates }, RUNS, 2);
console.log(
  `gates.quality_false_rollback_rate_at_threshold: ${rate(atEdge.breaches, atEdge.stages)} (every gate exactly at its threshold; design bound 0.01)`,
);
const dropped = qualityStages(
  { candidate: { accuracy: 0.9, reviewShare: 0.3 }, control, perWindow: 200, gates },
  RUNS,
  3,
);
console.log(
  `gates.quality_detect_rate_accuracy_drop_5pt: ${(dropped.breaches / dropped.stages).toFixed(3)} ratio (0.95 → 0.90 rolled back within the stage; median ${dropped.medianLabels} candidate labels)`,
);
const changed = { accuracy: 0.85, reviewShare: 0.3 };
const world = qualityStages({ candidate: changed, control: changed, perWindow: 200, gates }, RUNS, 4);
console.log(
  `gates.quality_changed_world_rollback_rate: ${rate(world.breaches, world.stages)} (both cohorts 10 points worse)`,
);
const stepUp = { gates: { minStepUpAgreement: 0.95 }, stepUp: true, control, perWindow: 200 };
const falseUp = qualityStages({ ...stepUp, candidate: { accuracy: 0.95, reviewShare: 1 } }, RUNS, 5);
console.log(
  `gates.ladder_false_step_up_rate: ${rate(falseUp.passes, falseUp.stages)} (agreement exactly at minStepUpAgreement 0.95; design bound 0.01)`,
);
const up = qualityStages({ ...stepUp, candidate: { accuracy: 0.98, reviewShare: 1 } }, RUNS, 6);
console.log(
  `gates.ladder_step_up_rate_agreement_98: ${(up.passes / up.stages).toFixed(3)} ratio (median ${up.medianLabels} labels)`,
);
console.log(`gates.quality_bench_s: ${((performance.now() - started) / 1000).toFixed(0)} s`);
