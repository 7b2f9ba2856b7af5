import { describe, expect, it } from 'vitest';
import { clopperPearson } from './binomial';
import { moverDifference, moverRatio } from './mover';
import { ratioOfIntervals } from './quantile-bounds';
import { createRandom } from './random';
import { advanceLook, alphaAtLook, LOOK_GROWTH, perTestConfidence } from './sequential';

describe('alpha spending over looks', () => {
  it('never spends more than alpha over any number of looks', () => {
    let spent = 0;
    for (let k = 1; k <= 100_000; k++) spent += alphaAtLook(0.01, k);
    expect(spent).toBeLessThan(0.01);
    expect(spent).toBeGreaterThan(0.0099);
  });

  it('opens a new look only when the sample grew by LOOK_GROWTH', () => {
    let state = advanceLook(null, 100);
    expect(state).toEqual({ look: 1, n: 100 });
    state = advanceLook(state, 149);
    expect(state.look).toBe(1);
    state = advanceLook(state, 100 * LOOK_GROWTH);
    expect(state).toEqual({ look: 2, n: 150 });
    // 10 s ticks over a day of steady traffic open ~ log(8640)/log(1.5) ≈ 22 looks, not 8,640.
    let looks = advanceLook(null, 1);
    for (let tick = 2; tick <= 8640; tick++) looks = advanceLook(looks, tick);
    expect(looks.look).toBeLessThanOrEqual(24);
  });

  it('splits the family error over tests (Bonferroni)', () => {
    expect(perTestConfidence(0.99, 1, 20)).toBeCloseTo(1 - (0.01 * 6) / Math.PI ** 2 / 20, 12);
    expect(perTestConfidence(0.99, 3, 1)).toBeCloseTo(1 - (0.01 * 6) / (9 * Math.PI ** 2), 12);
  });
});

describe('MOVER and ratio intervals', () => {
  it('the difference of two rates contains the truth at about the nominal rate', () => {
    const rng = createRandom(11);
    let covered = 0;
    for (let i = 0; i < 1000; i++) {
      const a = clopperPearson(rng.binomial(2000, 0.02), 2000, 0.95);
      const b = clopperPearson(rng.binomial(3000, 0.01), 3000, 0.95);
      const d = moverDifference(a, b);
      if (d.lower <= 0.01 && 0.01 <= d.upper) covered++;
    }
    expect(covered / 1000).toBeGreaterThanOrEqual(0.93);
  });

  it('the MOVER ratio of equal rates is around 1, the union-bound ratio is wider', () => {
    const a = clopperPearson(50, 1000, 0.99);
    const b = clopperPearson(50, 1000, 0.99);
    const r = moverRatio(a, b);
    expect(r.lower).toBeLessThan(1);
    expect(r.upper).toBeGreaterThan(1);
    const wide = ratioOfIntervals(a, b, 0.98);
    expect(wide.lower).toBeLessThanOrEqual(r.lower);
    expect(wide.upper).toBeGreaterThanOrEqual(r.upper);
  });
});

describe('seeded random', () => {
  it('repeats its stream for a seed and differs across seeds', () => {
    const a = createRandom(1);
    const b = createRandom(1);
    const c = createRandom(2);
    const xs = [a.uniform(), a.normal(), a.binomial(1000, 0.3)];
    expect([b.uniform(), b.normal(), b.binomial(1000, 0.3)]).toEqual(xs);
    expect(c.uniform()).not.toBe(xs[0]);
  });

  it.each([
    [20, 0.1],
    [10_000, 0.01],
    [5_000, 0.7],
  ])('binomial(%i, %f) has the right mean and variance', (n, p) => {
    const rng = createRandom(n);
    const draws = Array.from({ length: 20_000 }, () => rng.binomial(n, p));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt((n * p * (1 - p)) / draws.length));
    expect(variance / (n * p * (1 - p))).toBeGreaterThan(0.95);
    expect(variance / (n * p * (1 - p))).toBeLessThan(1.05);
  });

  it('multinomial counts add up to n', () => {
    const rng = createRandom(3);
    const counts = rng.multinomial(1000, [0.5, 0.25, 0.25, 0]);
    expect(counts.reduce((s, x) => s + x, 0)).toBe(1000);
    expect(counts[3]).toBe(0);
  });
});
