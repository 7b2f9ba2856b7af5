import { describe, expect, it } from 'vitest';
import { CUSUM_START, cusumAverageRunLength, cusumStep, cusumThreshold, designCusum } from './cusum';
import { createRandom } from './random';

/** Mean windows to the first alarm of a CUSUM fed N(shift, 1) scores, over `runs` seeded runs. */
function simulatedRunLength(k: number, h: number, shift: number, runs: number, seed: number): number {
  const rng = createRandom(seed);
  let total = 0;
  for (let r = 0; r < runs; r++) {
    let state = CUSUM_START;
    let t = 0;
    do {
      state = cusumStep(state, shift + rng.normal(), { k, h });
      t++;
    } while (!state.alarm);
    total += t;
  }
  return total / runs;
}

describe('CUSUM', () => {
  it('steps as max(0, s + z − k) and alarms above h', () => {
    let s = cusumStep(CUSUM_START, 1, { k: 0.25, h: 1 });
    expect(s).toEqual({ s: 0.75, run: 1, alarm: false });
    s = cusumStep(s, 0.6, { k: 0.25, h: 1 });
    expect(s.s).toBeCloseTo(1.1, 12);
    expect(s.alarm).toBe(true);
    expect(cusumStep(s, -5, { k: 0.25, h: 1 })).toEqual({ s: 0, run: 0, alarm: false });
    expect(() => cusumStep(s, Number.NaN, { k: 0.25, h: 1 })).toThrow(RangeError);
  });

  it('matches the textbook ARL₀ (k 0.5, h 4: 336 windows; k 0.5, h 5: 930)', () => {
    expect(cusumAverageRunLength({ k: 0.5, h: 4 })).toBeGreaterThan(330);
    expect(cusumAverageRunLength({ k: 0.5, h: 4 })).toBeLessThan(345);
    expect(cusumAverageRunLength({ k: 0.5, h: 5 })).toBeGreaterThan(900);
    expect(cusumAverageRunLength({ k: 0.5, h: 5 })).toBeLessThan(960);
  });

  // 2,000 runs: the mean run length's standard error is ~2.2 % of it, so ±8 % is > 3.5 standard errors.
  it.each([
    [0.25, 200, 0],
    [0.5, 500, 0],
    [0.25, 200, 0.5],
  ])('k %s, h for ARL₀ %s: the simulated run length at shift %s sd matches Siegmund', (k, arl0, shift) => {
    const h = cusumThreshold(k, arl0);
    const expected = cusumAverageRunLength({ k, h }, shift);
    if (shift === 0) expect(expected).toBeCloseTo(arl0, 6);
    const simulated = simulatedRunLength(k, h, shift, 2_000, 17 + arl0);
    expect(Math.abs(simulated / expected - 1)).toBeLessThan(0.08);
  });

  it('designs h from a family-wise daily false-alarm rate (Bonferroni over streams)', () => {
    const one = designCusum({ windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 1 });
    const twelve = designCusum({ windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 12 });
    expect(one.arl0).toBeCloseTo(2_400, 6);
    expect(twelve.arl0).toBeCloseTo(28_800, 6);
    expect(twelve.h).toBeGreaterThan(one.h);
    expect(twelve.k).toBe(0.25);
    expect(twelve.detectWindows).toBeLessThan(100);
    for (const bad of [
      { windowsPerDay: 0, falseAlarmsPerDay: 0.01, streams: 1 },
      { windowsPerDay: 24, falseAlarmsPerDay: 0, streams: 1 },
      { windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 0 },
      { windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 1.5 },
      { windowsPerDay: 24, falseAlarmsPerDay: Number.NaN, streams: 1 },
    ])
      expect(() => designCusum(bad)).toThrow(RangeError);
  });
});
