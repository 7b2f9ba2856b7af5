import { describe, expect, it } from 'vitest';
import { ConceptDriftDetector } from './concept-drift';
import { simulateConceptDriftDelays, simulateConceptDriftFalseAlarms } from './concept-drift-simulation';

describe('ConceptDriftDetector (Bernoulli CUSUM on the labelled error stream)', () => {
  it('pools hours into batches of minLabels and reports the error rate before and after the change', () => {
    const d = new ConceptDriftDetector({ falseAlarmsPerDay: 0.01, minLabels: 100, warmupBatches: 2 });
    for (let h = 0; h < 20; h++) d.observeHour(h * 3_600_000, 50, h % 2 === 0 ? 3 : 2);
    expect(d.view()).toMatchObject({ alarm: false, batches: 10, sinceMs: null });
    expect(d.view().before).toEqual({ labelled: 1000, wrong: 50, rate: 0.05 });
    for (let h = 20; h < 40; h++) d.observeHour(h * 3_600_000, 100, 30);
    const v = d.view();
    expect(v.alarm).toBe(true);
    expect(v.sinceMs).toBe(20 * 3_600_000);
    expect(v.after.rate).toBeCloseTo(0.3, 10);
    expect(v.before.rate).toBe(0.05);
    expect(() => d.observeHour(0, 5, 6)).toThrow(/0 <= wrong <= labelled/);
  });

  // CI size; `pnpm bench` (shared/bench/alerts.ts) runs 20× more.
  it('keeps its stated false-alarm rate on a healthy 5 % stream (seeded simulation)', () => {
    const r = simulateConceptDriftFalseAlarms(
      { seed: 11, hours: 24 * 60, labelsPerHour: 50, errorRate: 0.05, falseAlarmsPerDay: 0.01 },
      20,
    );
    // 1,200 stream-days at a stated 0.01/day: ≈ 12 expected at the stated rate; far fewer in practice.
    expect(r.perDay).toBeLessThanOrEqual(0.01);
  });

  it('finds an error rate going from 5 % to 10 % within days at 50 labels an hour', () => {
    const delays = simulateConceptDriftDelays(
      {
        seed: 500,
        hours: 24 * 14,
        labelsPerHour: 50,
        errorRate: 0.05,
        falseAlarmsPerDay: 0.01,
        changeAtHour: 24 * 5,
        errorRateAfter: 0.1,
      },
      20,
    );
    const found = delays.filter((x): x is number => x !== null && x >= 0);
    expect(found.length).toBeGreaterThanOrEqual(19);
    const sorted = [...found].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThan(24);
  });
});
