import { describe, expect, it } from 'vitest';
import { betaQuantile, regularizedBeta } from './beta';
import { binomialCdf, clopperPearson } from './binomial';
import fixtures from './fixtures/scipy.json';
import {
  noncentralChiSquareCdf,
  noncentralChiSquareSurvival,
  noncentralityInterval,
} from './noncentral-chi-square';
import { normalCdf, normalQuantile } from './normal';
import { quantileRanks } from './quantile-bounds';

function expectClose(got: number, want: number, relative = 1e-9, absolute = 1e-300): void {
  expect(Number.isFinite(got)).toBe(true);
  expect(Math.abs(got - want)).toBeLessThanOrEqual(relative * Math.abs(want) + absolute);
}

describe('against scipy.stats (fixtures/gen_scipy_fixtures.py)', () => {
  it.each(fixtures.normalCdf)('norm.cdf($z)', ({ z, value }) => expectClose(normalCdf(z), value, 1e-12));
  it.each(fixtures.normalPpf)('norm.ppf($p)', ({ p, value }) => expectClose(normalQuantile(p), value, 1e-13));
  it.each(fixtures.betaCdf)('beta.cdf($x, $a, $b)', ({ x, a, b, value }) =>
    expectClose(regularizedBeta(x, a, b), value, 1e-8),
  );
  it.each(fixtures.betaPpf)('beta.ppf($p, $a, $b)', ({ p, a, b, value }) =>
    expectClose(betaQuantile(p, a, b), value, 1e-9),
  );
  it.each(fixtures.binomCdf)('binom.cdf($k, $n, $p)', ({ k, n, p, value }) =>
    expectClose(binomialCdf(k, n, p), value, 1e-8),
  );
  it.each(fixtures.clopperPearson)('exact interval $k of $n at $confidence', (c) => {
    const interval = clopperPearson(c.k, c.n, c.confidence);
    expectClose(interval.lower, c.lower, 1e-9);
    expectClose(interval.upper, c.upper, 1e-9);
  });
  it.each(fixtures.ncx2)('ncx2($x, $df, $nc)', (c) => {
    expectClose(noncentralChiSquareCdf(c.x, c.df, c.nc), c.cdf, 1e-9);
    expectClose(noncentralChiSquareSurvival(c.x, c.df, c.nc), c.sf, 1e-9);
  });
  it.each(fixtures.noncentralityInterval)('noncentrality of $t, df $df at $confidence', (c) => {
    const interval = noncentralityInterval(c.t, c.df, c.confidence);
    expectClose(interval.lower, c.lower, 1e-5, 1e-9);
    expectClose(interval.upper, c.upper, 1e-5, 1e-9);
  });
  it.each(fixtures.quantileRanks)('order-statistic ranks n $n, q $q at $confidence', (c) => {
    expect(quantileRanks(c.n, c.q, c.confidence)).toEqual({ lower: c.lower, upper: c.upper });
  });
});

describe('input checks', () => {
  it('refuses a confidence outside (0, 1) and impossible counts', () => {
    expect(() => clopperPearson(1, 10, 1)).toThrow(RangeError);
    expect(() => clopperPearson(11, 10, 0.9)).toThrow(RangeError);
    expect(() => clopperPearson(1.5, 10, 0.9)).toThrow(RangeError);
    expect(() => noncentralityInterval(Number.NaN, 3, 0.9)).toThrow(RangeError);
    expect(() => quantileRanks(10, 1, 0.9)).toThrow(RangeError);
  });

  it('gives each bound its own level when asked (a one-sided test per side)', () => {
    const wide = noncentralityInterval(30, 9, 0.9999);
    const narrow = noncentralityInterval(30, 9, 0.98);
    const mixed = noncentralityInterval(30, 9, 0.9999, 0.98);
    expect(mixed.lower).toBe(wide.lower);
    expect(mixed.upper).toBe(narrow.upper);
    expect(narrow.upper).toBeLessThan(wide.upper);
  });

  it('no trials is the uninformative interval, never a pass', () => {
    expect(clopperPearson(0, 0, 0.99)).toMatchObject({ lower: 0, upper: 1 });
    expect(quantileRanks(0, 0.95, 0.99)).toEqual({ lower: -1, upper: 0 });
  });
});
