import { describe, expect, it } from 'vitest';
import { grid, healthyStages, shiftedStages, simulateStage } from './gate-simulation';

// The gate figures, CI-sized: the seeded simulator runs the real `decide` tick by tick (10 s ticks, 60 s windows,
// 30 min stages with their 2 h deadline). The full-size run is `pnpm bench` (fleet-server/bench/gates.ts), whose
// figures the README quotes. Seeded: the same code gives the same outcome every run.
describe('gate simulation (seeded)', { timeout: 120_000 }, () => {
  it('healthy candidates are not rolled back and decide within the stage (baselines of 300 and 2,000)', () => {
    const healthy = healthyStages(grid([300, 2000], [10], [40, 200, 5000]), 6);
    expect(healthy.stages).toBe(36);
    expect(healthy.rollbacks).toBe(0);
    expect(healthy.passes).toBeGreaterThanOrEqual(34);
    expect(healthy.medianInferencesToPass).toBeLessThan(5_000);
  });

  it('one feature shifted by 1 sd is rolled back within two windows in >= 95 % of stages', () => {
    const shifted = shiftedStages(grid([300, 2000], [10], [200, 1000]), 10, { shiftSd: 1, windows: 2 });
    expect(shifted.detected / shifted.stages).toBeGreaterThanOrEqual(0.95);
  });

  it('a doubled error rate (1 % → 2 %, gate 1.5 %) is rolled back; a healthy 1 % one is not', () => {
    const gates = { maxErrorRate: 0.015 };
    const doubled = shiftedStages(grid([2000], [10], [1000]), 10, { errorRate: 0.02, windows: 60, gates });
    expect(doubled.detected).toBe(10);
    const healthy = shiftedStages(grid([2000], [10], [1000]), 10, { errorRate: 0.01, windows: 60, gates });
    expect(healthy.detected).toBe(0);
  });

  it("a threshold the baseline's own noise cannot pass pauses at the deadline, never passes", () => {
    // PSI 0.02 is below what a 300-sample baseline can ever show (≈ (bins − 1)/N ≈ 0.037): inconclusive for good.
    const outcome = simulateStage({
      seed: 4,
      baselineSize: 300,
      features: 10,
      perWindow: 1000,
      gates: { maxPsi: 0.02 },
    });
    expect(outcome.result).toBe('inconclusive');
    expect(outcome.tick).toBe(720); // 4 × the 30 min stage at 10 s ticks
  });
});
