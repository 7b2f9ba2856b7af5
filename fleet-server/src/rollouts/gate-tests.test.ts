import { createRandom, passLevel } from '@edgefleet/shared/stats';
import { describe, expect, it } from 'vitest';
import { coverage, driftInterval, rateInterval } from './gate-tests';
import { needMore } from './gates';

// "needs ≈ N more inferences": at the predicted size about half of healthy windows decide.
const level = passLevel(0.99, 1);
const levels = { lower: 0.9999, upper: level };

describe('needMore', () => {
  it('predicts the size at which about half of healthy drift bounds clear the threshold (seeded)', () => {
    const baseline = [0, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 0];
    const probabilities = [0.5, ...baseline.slice(1, -1), 0.5].map((c) => c / 2001);
    const rng = createRandom(7);
    const draw = (n: number) => driftInterval('psi', baseline, rng.multinomial(n, probabilities), levels)!;
    const predictions = Array.from({ length: 41 }, () => needMore(draw(110), 0.1) ?? 0).sort((a, b) => a - b);
    const more = predictions[20]!;
    expect(more).toBeGreaterThan(0);
    const passShare = (n: number) =>
      Array.from({ length: 101 }, () => draw(n)).filter((i) => i.upper <= 0.1).length / 101;
    expect(passShare(110 + more)).toBeGreaterThanOrEqual(0.4);
    expect(passShare(110 + Math.floor(more / 4))).toBeLessThan(passShare(110 + more));
  });

  it('says no size would do when the baseline alone is too noisy for the threshold', () => {
    const small = [0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0];
    const window = [0, 12, 10, 9, 11, 10, 10, 9, 11, 10, 8, 0];
    expect(needMore(driftInterval('psi', small, window, levels)!, 0.05)).toBeNull();
  });

  it('scales a rate bound like 1/√n', () => {
    const now = rateInterval(2, 200, levels)!;
    const more = needMore(now, 0.03)!;
    const later = rateInterval(Math.round((2 * (200 + more)) / 200), 200 + more, levels)!;
    expect(later.upper).toBeLessThan(0.03 * 1.15);
    expect(coverage(levels)).toBeGreaterThan(0.98);
  });
});
