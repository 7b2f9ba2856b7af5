import { DDSketch as DatadogSketch, LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DDSketch } from './ddsketch';
import { SketchMismatchError } from './errors';

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
const anyValues = fc.array(fc.double(), { maxLength: 80 });
const latencies = fc.array(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 });
const of = (xs: number[], maxBins = 2048) => {
  const s = new DDSketch({ maxBins });
  s.addMany(xs);
  return s;
};
/** Exact lower quantile, the order statistic DDSketch estimates: sorted[floor(q·(n−1))]. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
/** JSON without the float sum, which depends on addition order. */
const bins = (s: DDSketch) => ({ ...s.toJSON(), sum: 0 });

describe('DDSketch', () => {
  it('counts zero, negative, NaN and infinite values as documented', () => {
    const s = of([0, -0, 1e-320, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5]);
    expect([s.count, s.zeroCount, s.invalidCount, s.min, s.max, s.sum]).toEqual([4, 3, 4, 0, 5, 5 + 1e-320]);
    expect(new DDSketch().quantile(0.5)).toBeNaN();
    expect(s.quantile(1.5)).toBeNaN();
  });

  it('quantiles are within the relative accuracy of the exact order statistics', () => {
    fc.assert(
      fc.property(latencies, (xs) => {
        const s = of(xs);
        const sorted = [...xs].sort((a, b) => a - b);
        for (const q of QS) {
          const exact = exactQuantile(sorted, q);
          expect(Math.abs(s.quantile(q) - exact)).toBeLessThanOrEqual(0.01 * exact * (1 + 1e-9));
        }
      }),
    );
  });

  it('agrees with @datadog/sketches-js on the same data (same mapping, same ranks)', () => {
    fc.assert(
      fc.property(latencies, (xs) => {
        const ours = of(xs);
        const theirs = new DatadogSketch({ relativeAccuracy: 0.01 });
        for (const x of xs) theirs.accept(x);
        for (const q of QS.slice(1, -1)) {
          const t = Math.min(ours.max, Math.max(ours.min, theirs.getValueAtQuantile(q)));
          expect(ours.quantile(q)).toBe(t);
        }
        expect([ours.quantile(0), ours.quantile(1)]).toEqual([ours.min, ours.max]); // exact extremes
      }),
      { numRuns: 50 },
    );
  });

  it('collapses the lowest bins into the same bins as Datadog and keeps upper quantiles accurate', () => {
    // ~500 bins; the top 10 % of values span ~50 bins, within the bound of 128.
    const xs = Array.from({ length: 5000 }, (_, i) => 1e-3 * 1.0202 ** (i / 10));
    const ours = of(xs, 128);
    const theirs = new LogCollapsingLowestDenseDDSketch({ relativeAccuracy: 0.01, binLimit: 128 });
    for (const x of xs) theirs.accept(x);
    const store = theirs.store as unknown as {
      minKey: number;
      maxKey: number;
      offset: number;
      bins: number[];
    };
    const json = ours.toJSON();
    expect([json.key0, json.key0 + json.bins.length - 1]).toEqual([store.minKey, store.maxKey]);
    // Datadog 2.1.1 over-counts its collapsed lowest bin (7466 of 5000 values here) and then
    // returns one value for every q ≥ 0.5: compare the other bins, and quantiles with exact ones.
    for (let k = store.minKey + 1; k <= store.maxKey; k++)
      expect(ours.binCount(k)).toBe(store.bins[k - store.offset]);
    expect(DDSketch.fromJSON(json).ok).toBe(true); // bins add up to count
    for (const q of [0.9, 0.95, 0.99, 1]) {
      const exact = exactQuantile(xs, q);
      expect(Math.abs(ours.quantile(q) - exact)).toBeLessThanOrEqual(0.01 * exact);
    }
    expect(ours.quantile(0.01)).toBeGreaterThan(exactQuantile(xs, 0.01)); // collapsed: low quantiles lose accuracy
  });

  it('merge(sketch(A), sketch(B)) has exactly the bins of sketch(A ∪ B); merge is commutative and associative', () => {
    fc.assert(
      fc.property(anyValues, anyValues, anyValues, (a, b, c) => {
        expect(bins(of(a).merge(of(b)))).toEqual(bins(of([...a, ...b])));
        expect(bins(of(a).merge(of(b)))).toEqual(bins(of(b).merge(of(a))));
        expect(bins(of(a).merge(of(b)).merge(of(c)))).toEqual(bins(of(a).merge(of(b).merge(of(c)))));
      }),
    );
  });

  it('merges exactly under collapsing too', () => {
    const wide = fc.array(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), { maxLength: 60 });
    fc.assert(
      fc.property(wide, wide, (a, b) => {
        expect(bins(of(a, 16).merge(of(b, 16)))).toEqual(bins(of([...a, ...b], 16)));
      }),
    );
  });

  it('round-trips through JSON with JSON-safe numbers and sparse bins', () => {
    fc.assert(
      fc.property(anyValues, (xs) => {
        const s = of(xs);
        const text = JSON.stringify(s);
        expect(text).not.toMatch(/null|NaN|Infinity/);
        const back = DDSketch.fromJSON(JSON.parse(text));
        expect(back.ok && back.value.toJSON()).toEqual(s.toJSON());
        if (back.ok) for (const q of QS) expect(back.value.quantile(q)).toEqual(s.quantile(q));
      }),
    );
    expect(of([1, 1000]).toJSON().bins).toEqual([1, -345, 1]);
  });

  it('refuses to merge other parameters', () => {
    expect(() => new DDSketch().merge(new DDSketch({ relativeAccuracy: 0.02 }))).toThrow(SketchMismatchError);
    expect(() => new DDSketch().merge(new DDSketch({ maxBins: 100 }))).toThrow(SketchMismatchError);
  });

  it('does not allocate per add once the range is known', () => {
    const s = of([1, 1000]);
    const before = s.toJSON().bins.length;
    for (let i = 0; i < 1000; i++) s.add(1 + (i % 999));
    expect(s.count).toBe(1002);
    expect(s.toJSON().bins.length).toBeGreaterThanOrEqual(before);
  });
});

describe('DDSketch.valueAtRank', () => {
  it('brackets the exact value of every rank between its bin edges', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => (x < 1e-300 ? 0 : x)), // no subnormals
          { minLength: 1, maxLength: 200 },
        ),
        (xs) => {
          const s = new DDSketch();
          s.addMany(xs);
          const sorted = [...xs].sort((a, b) => a - b);
          for (let rank = 0; rank < sorted.length; rank++) {
            const exact = sorted[rank]! + 0;
            expect(s.valueAtRank(rank, 'lower')).toBeLessThanOrEqual(exact * (1 + 1e-12));
            expect(s.valueAtRank(rank, 'upper')).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
          }
          expect(s.valueAtRank(sorted.length, 'upper')).toBeNaN();
        },
      ),
      { numRuns: 200 },
    );
  });
});
