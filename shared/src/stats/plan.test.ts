import { describe, expect, it } from 'vitest';
import { binomialTrialsNeeded } from './binomial';
import { psiInterval } from './divergence';
import { inferencesToDecide } from './plan';
import { createRandom } from './random';
import { passLevel } from './sequential';

// A 10-bin baseline of 300 with empty under/overflow bins, as the baseline builder makes them.
const baseline300 = [0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 0];
const options = { confidence: 0.99 };

describe('planning', () => {
  it('plans a rate gate with Clopper-Pearson at the level of the first pass look', () => {
    const n = inferencesToDecide(
      { gate: 'error_rate', kind: 'rate_max', threshold: 0.02, expected: 0.005 },
      options,
    );
    expect(n).toBe(binomialTrialsNeeded(0.005, 0.02, passLevel(0.99, 1)));
    expect(
      inferencesToDecide({ gate: 'e', kind: 'rate_max', threshold: 0.02, expected: 0.02 }, options),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(
      inferencesToDecide({ gate: 's', kind: 'rate_min', threshold: 0.9, expected: 0.99 }, options),
    ).toBeLessThan(2_000);
  });

  // The claim behind the figure: at the planned size about half of healthy windows pass, at half of it fewer.
  it('plans a PSI gate so that the median healthy window passes at that size (seeded check, 400 windows)', () => {
    const n = inferencesToDecide(
      { gate: 'psi', kind: 'psi', threshold: 0.25, baselineCounts: baseline300 },
      options,
    );
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThan(2_000);
    const probs = baseline300.map((c) => c / 300);
    const passShare = (size: number) => {
      const rng = createRandom(99);
      const confidence = passLevel(0.99, 1);
      let passed = 0;
      for (let i = 0; i < 400; i++)
        if (psiInterval(baseline300, rng.multinomial(size, probs), confidence).upper < 0.25) passed++;
      return passed / 400;
    };
    expect(passShare(n)).toBeGreaterThanOrEqual(0.4);
    expect(passShare(Math.floor(n / 2))).toBeLessThan(passShare(n));
    // A tighter threshold needs more; one the baseline's own noise cannot get under is undecidable.
    const tight = inferencesToDecide(
      { gate: 'psi', kind: 'psi', threshold: 0.1, baselineCounts: baseline300 },
      options,
    );
    expect(tight).toBeGreaterThan(n);
    expect(
      inferencesToDecide({ gate: 'psi', kind: 'psi', threshold: 0.01, baselineCounts: baseline300 }, options),
    ).toBe(Number.POSITIVE_INFINITY);
  });
});
