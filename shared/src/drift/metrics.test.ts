import { describe, expect, it } from 'vitest';
import { chiSquare } from './chi-square';
import fixtures from './fixtures/scipy.json';
import { chiSquareSurvival } from './gamma';
import { jensenShannonDistance } from './jensen-shannon';
import { ksFromHistograms, ksStatistic } from './ks';
import { psi } from './psi';
import { wasserstein1 } from './wasserstein';

/** Relative tolerance against scipy; an exact zero must come back as (almost) exactly zero. */
function expectClose(got: number, want: number, relative = 1e-9): void {
  expect(Number.isFinite(got)).toBe(true);
  expect(Math.abs(got - want)).toBeLessThanOrEqual(relative * Math.abs(want) + 1e-15);
}

/**
 * Against the 50-digit value at 1e-12, and against the float64 reference at 1e-9 — or, where the reference
 * is itself further than that from the exact value (near-identical inputs: scipy's direct formula cancels),
 * within twice the reference's own error.
 */
function expectExactAndReference(got: number, exact: number, reference: number): void {
  expectClose(got, exact, 1e-12);
  const referenceError = Math.abs(reference - exact);
  expect(Math.abs(got - reference)).toBeLessThanOrEqual(
    Math.max(1e-9 * Math.abs(reference), 2 * referenceError) + 1e-15,
  );
}

describe('psi (numpy reference and 50-digit value)', () => {
  it.each(fixtures.psi.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const eps = 'eps' in c ? (c.eps as number) : undefined;
    expectExactAndReference(psi(c.expected, c.actual, eps), c.exact, c.value);
  });
});

describe('jensenShannonDistance = scipy.spatial.distance.jensenshannon', () => {
  it.each(fixtures.jensenShannon.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectExactAndReference(jensenShannonDistance(c.p, c.q), c.exact, c.value);
  });

  it('is more accurate than scipy on near-identical counts (scipy is off by ~2.5e-4 there)', () => {
    const c = fixtures.jensenShannon.find((x) => x.name === 'near identical large')!;
    expect(Math.abs(c.value - c.exact) / c.exact).toBeGreaterThan(1e-5);
    expectClose(jensenShannonDistance(c.p, c.q), c.exact, 1e-12);
  });
});

describe('ksStatistic = scipy.stats.ks_2samp(a, b).statistic', () => {
  it.each(fixtures.samples.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectClose(ksStatistic(c.a, c.b), c.ks);
  });
});

describe('ksFromHistograms = ks_2samp on bin indices', () => {
  it.each(fixtures.ksFromHistograms.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectClose(ksFromHistograms(c.edges, c.countsA, c.countsB), c.statistic);
  });
});

describe('wasserstein1 = scipy.stats.wasserstein_distance', () => {
  it.each(fixtures.samples.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expectClose(wasserstein1(c.a, c.b), c.wasserstein);
  });
});

describe('chiSquare = scipy.stats.chi2_contingency(correction=False)', () => {
  it.each(fixtures.chiSquare.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const result = chiSquare(c.expected, c.actual);
    expect(result.dof).toBe(c.dof);
    expectClose(result.statistic, c.statistic);
    expectClose(result.pValue, c.pValue);
  });
});

describe('chiSquareSurvival = scipy.stats.chi2.sf', () => {
  it(`matches over a grid of ${fixtures.chi2Sf.length} (x, dof) points`, () => {
    const worst = { relative: 0, x: 0, dof: 0 };
    for (const { x, dof, sf } of fixtures.chi2Sf) {
      const relative = Math.abs(chiSquareSurvival(x, dof) - sf) / sf;
      if (!(relative <= worst.relative)) Object.assign(worst, { relative, x, dof });
    }
    expect(worst.relative, `worst at x=${worst.x}, dof=${worst.dof}`).toBeLessThanOrEqual(1e-9);
  });
});
