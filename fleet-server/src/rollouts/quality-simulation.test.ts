import { describe, expect, it } from 'vitest';
import { QUALITY_FIGURE_GATES, qualityStages } from './quality-simulation';

// The quality-gate and step-up figures, CI-sized: the seeded simulator runs the real `decide` tick by tick over a
// candidate and a control cohort whose operators label what they review. Full size: `pnpm bench`
// (fleet-server/bench/gates.ts), whose figures the README quotes.
describe('quality gate simulation (seeded)', { timeout: 120_000 }, () => {
  const control = { accuracy: 0.95, reviewShare: 0.3 };
  const gates = QUALITY_FIGURE_GATES;

  it('a candidate as good as the control is never rolled back and passes within the stage', () => {
    // Accuracy is judged over every inference, stratified by route: the spot checks of the model's own decisions
    // carry that stratum's weight, so with 5 % of them a healthy stage passes 9 of 12 times within its deadline
    // (the rest end inconclusive, never breached); with 20 % every time.
    const healthy = qualityStages({ candidate: control, control, perWindow: 200, gates }, 12);
    expect(healthy.breaches).toBe(0);
    expect(healthy.passes).toBe(9);
    const checked = qualityStages({ candidate: control, control, perWindow: 200, gates, spotCheck: 0.2 }, 12);
    expect(checked.breaches).toBe(0);
    expect(checked.passes).toBe(12);
  });

  it('a 5-point accuracy drop against the control is rolled back in every stage', () => {
    const worse = { accuracy: 0.9, reviewShare: 0.3 };
    const dropped = qualityStages({ candidate: worse, control, perWindow: 200, gates }, 12, 5);
    expect(dropped.breaches).toBe(12);
    expect(dropped.medianLabels).toBeLessThan(3_000);
  });

  it('a world that changed for both cohorts (both 10 points worse) is not blamed on the candidate', () => {
    const both = { accuracy: 0.85, reviewShare: 0.3 };
    const changed = qualityStages({ candidate: both, control: both, perWindow: 200, gates }, 12, 9);
    expect(changed.breaches).toBe(0);
  });

  it('the ladder steps up on agreement well above the threshold and pauses on agreement well below', () => {
    const stepUp = { gates: { minStepUpAgreement: 0.95 }, stepUp: true, control, perWindow: 200 };
    const good = qualityStages({ ...stepUp, candidate: { accuracy: 0.985, reviewShare: 1 } }, 10, 13);
    expect(good.passes).toBe(10);
    const poor = qualityStages({ ...stepUp, candidate: { accuracy: 0.9, reviewShare: 1 } }, 10, 17);
    expect(poor.breaches).toBe(10);
    expect(poor.passes).toBe(0);
  });
});
