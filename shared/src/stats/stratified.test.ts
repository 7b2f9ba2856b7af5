import { describe, expect, it } from 'vitest';
import { clopperPearson } from './binomial';
import { createRandom } from './random';
import { stratifiedProportion } from './stratified';

describe('stratifiedProportion', () => {
  it('is the exact Clopper-Pearson interval for one stratum', () => {
    const one = stratifiedProportion([{ size: 500, sampled: 200, successes: 183 }], 0.95);
    const cp = clopperPearson(183, 200, 0.95);
    expect(one.lower).toBeCloseTo(cp.lower, 12);
    expect(one.upper).toBeCloseTo(cp.upper, 12);
    expect(one.estimate).toBeCloseTo(0.915, 12);
  });

  it('weighs strata by their share, not by how many were labelled', () => {
    // 10 % of inferences go to review (all labelled, 80 % right), 90 % are decided alone (5 % spot-checked, all right).
    const i = stratifiedProportion(
      [
        { size: 100, sampled: 100, successes: 80 },
        { size: 900, sampled: 45, successes: 45 },
      ],
      0.95,
    );
    expect(i.estimate).toBeCloseTo(0.98, 12); // the labels' plain rate would say 125/145 = 0.86
    expect(i.lower).toBeLessThan(0.98);
    expect(i.upper).toBeGreaterThan(0.98);
  });

  it('keeps an unlabelled stratum unknown: the bounds span it', () => {
    const i = stratifiedProportion(
      [
        { size: 300, sampled: 300, successes: 290 },
        { size: 700, sampled: 0, successes: 0 },
      ],
      0.95,
    );
    expect(i.lower).toBeLessThan(0.3);
    expect(i.upper).toBeGreaterThan(0.99);
    expect(stratifiedProportion([{ size: 10, sampled: 0, successes: 0 }], 0.95).estimate).toBeNaN();
    expect(() => stratifiedProportion([{ size: 1, sampled: 2, successes: 3 }], 0.95)).toThrow(RangeError);
  });

  // Seeded simulation: the stated confidence holds where the plain rate over the labels is far off.
  it('covers the true accuracy at its confidence under route-dependent labelling (2,000 windows)', () => {
    const rng = createRandom(20261207);
    const random = () => rng.uniform();
    const runs = 2000;
    let covered = 0;
    let plainCovered = 0;
    const truth = 0.1 * 0.85 + 0.9 * 0.995;
    for (let r = 0; r < runs; r++) {
      const strata = [
        { share: 0.1, accuracy: 0.85, labelShare: 1 },
        { share: 0.9, accuracy: 0.995, labelShare: 0.05 },
      ].map((s) => {
        let size = 0;
        let sampled = 0;
        let successes = 0;
        for (let i = 0; i < 2000 * s.share; i++) {
          size++;
          if (random() >= s.labelShare) continue;
          sampled++;
          if (random() < s.accuracy) successes++;
        }
        return { size, sampled, successes };
      });
      const i = stratifiedProportion(strata, 0.95);
      if (i.lower <= truth && truth <= i.upper) covered++;
      const plain = clopperPearson(
        strata.reduce((n, s) => n + s.successes, 0),
        strata.reduce((n, s) => n + s.sampled, 0),
        0.95,
      );
      if (plain.lower <= truth && truth <= plain.upper) plainCovered++;
    }
    // 95 % stated; 2,000 runs: 3 sd of the coverage is ≈ 1.5 points.
    expect(covered / runs).toBeGreaterThan(0.935);
    expect(plainCovered / runs).toBeLessThan(0.2);
  });
});
