import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLDS, judgeMetrics, resolveThresholds, worseVerdict } from './thresholds';
import { wasserstein1 } from './wasserstein';
import { binRepresentatives, wassersteinFromHistograms } from './wasserstein-binned';

const edges = [-1, 0, 0.5, 2, 3];
/**
 * Representative points of the 6 bins: under/overflow half an outer bin width out, midpoints inside, except
 * the outermost inner bin [2, 3), pulled to one neighbouring width (1.5) beyond its inner edge at most.
 */
const points = [-1.5, -0.5, 0.25, 1.25, 2.5, 3.5];

function countsAt(bins: number[]): number[] {
  const c = new Array<number>(points.length).fill(0);
  for (const b of bins) c[b]! += 1;
  return c;
}

describe('wassersteinFromHistograms', () => {
  it('places tail bins no farther than a neighbouring width beyond their inner edge', () => {
    expect(binRepresentatives(edges)).toEqual(points);
    // Wide tail bins [0, 9) and [11, 30) are pulled in to 8 and 12; under/overflow sit half their width out.
    expect(binRepresentatives([0, 9, 10, 11, 30])).toEqual([-4.5, 8, 9.5, 10.5, 12, 39.5]);
    expect(binRepresentatives([5], 2)).toEqual([4, 6]);
  });

  it('equals the raw W1 when every observation sits at its bin representative point', () => {
    const bins = fc.array(fc.integer({ min: 0, max: points.length - 1 }), { minLength: 1, maxLength: 80 });
    fc.assert(
      fc.property(bins, bins, (a, b) => {
        const raw = wasserstein1(
          a.map((i) => points[i]!),
          b.map((i) => points[i]!),
        );
        expect(wassersteinFromHistograms(edges, countsAt(a), countsAt(b))).toBeCloseTo(raw, 12);
      }),
    );
  });

  it('uses tailWidth around a single edge, and is symmetric and zero on proportional counts', () => {
    expect(wassersteinFromHistograms([0], [1, 0], [0, 1], 4)).toBe(4);
    expect(wassersteinFromHistograms(edges, [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1])).toBeCloseTo(
      wassersteinFromHistograms(edges, [6, 5, 4, 3, 2, 1], [1, 2, 3, 4, 5, 6]),
      15,
    );
    expect(wassersteinFromHistograms(edges, [1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12])).toBe(0);
  });

  it('throws RangeError on bad input', () => {
    expect(() => wassersteinFromHistograms([], [1], [1])).toThrow(RangeError);
    expect(() => wassersteinFromHistograms([0, 1], [1, 1], [1, 1, 1])).toThrow(/bins/);
    expect(() => wassersteinFromHistograms([0], [1, 1], [1, 1], 0)).toThrow(/tailWidth/);
  });
});

describe('thresholds', () => {
  it('patches defaults per metric and validates', () => {
    const t = resolveThresholds(DEFAULT_DRIFT_THRESHOLDS, { psi: { warn: 0.2 }, js: null }, { minCount: 10 });
    expect(t).toEqual({
      psi: { warn: 0.2, alert: 0.25 },
      js: null,
      ksD: null,
      wassersteinNorm: null,
      minCount: 10,
    });
    expect(resolveThresholds(DEFAULT_DRIFT_THRESHOLDS, { ksD: { alert: 0.3 } }).ksD).toEqual({
      warn: 0.3,
      alert: 0.3,
    });
    expect(() => resolveThresholds(DEFAULT_DRIFT_THRESHOLDS, { psi: { warn: 0.5 } })).toThrow(RangeError);
    expect(() => resolveThresholds(DEFAULT_DRIFT_THRESHOLDS, { minCount: Number.NaN })).toThrow(RangeError);
  });

  it('judges the worst gated metric and explains it', () => {
    const t = resolveThresholds(DEFAULT_DRIFT_THRESHOLDS);
    expect(judgeMetrics({ psi: 0.05, js: 0.05, ksD: 0.9 }, t)).toEqual({ verdict: 'ok', reasons: [] });
    expect(judgeMetrics({ psi: 0.1, js: 0.05 }, t)).toEqual({
      verdict: 'warn',
      reasons: ['psi 0.1 >= warn 0.1'],
    });
    expect(judgeMetrics({ psi: 0.12, js: 0.21 }, t).verdict).toBe('alert');
    expect(worseVerdict('insufficient', 'ok')).toBe('insufficient');
    expect(worseVerdict('insufficient', 'warn')).toBe('warn');
  });
});
