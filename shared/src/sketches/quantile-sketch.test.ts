import { DDSketch as DatadogSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SketchMismatchError } from './errors';
import { QuantileSketch } from './quantile-sketch';

const QS = [0, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1];
// Magnitudes within 1e-6 … 1e6 (or zero) span < 2048 bins, so no collapsing blurs the guarantee.
const signed = fc.array(
  fc.oneof(
    fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-6 ? 0 : x)),
    fc.constantFrom(0, -0, 1e-320),
  ),
  { minLength: 1, maxLength: 150 },
);
const anyValues = fc.array(fc.double(), { maxLength: 80 });
const of = (xs: number[], maxBins = 2048) => {
  const s = new QuantileSketch({ maxBins });
  s.addMany(xs);
  return s;
};

describe('QuantileSketch', () => {
  it('quantiles of signed data are within the relative accuracy of the exact order statistics', () => {
    fc.assert(
      fc.property(signed, (xs) => {
        const s = of(xs);
        const sorted = [...xs].sort((a, b) => a - b);
        for (const q of QS) {
          const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
          expect(Math.abs(s.quantile(q) - exact)).toBeLessThanOrEqual(
            0.01 * Math.abs(exact) * (1 + 1e-9) + 1e-300,
          );
        }
      }),
    );
  });

  it('agrees with @datadog/sketches-js on signed data', () => {
    fc.assert(
      fc.property(signed, (xs) => {
        const ours = of(xs);
        const theirs = new DatadogSketch();
        for (const x of xs) theirs.accept(x);
        for (const q of QS.slice(1, -1)) {
          const t = Math.min(ours.max, Math.max(ours.min, theirs.getValueAtQuantile(q)));
          expect(ours.quantile(q)).toBe(t);
        }
        expect([ours.quantile(0), ours.quantile(1)]).toEqual([ours.min, ours.max]);
      }),
      { numRuns: 50 },
    );
  });

  it('counts NaN and ±Infinity as invalid only', () => {
    const s = of([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -2, 0, 3]);
    expect([s.count, s.invalidCount, s.zeroCount, s.min, s.max]).toEqual([3, 3, 1, -2, 3]);
    expect(s.quantiles([0, 0.5, 1])).toEqual([-2, 0, 3]);
  });

  it('merge(sketch(A), sketch(B)) has exactly the bins of sketch(A ∪ B); commutative and associative', () => {
    fc.assert(
      fc.property(anyValues, anyValues, anyValues, (a, b, c) => {
        expect(of(a).merge(of(b)).toJSON()).toEqual(of([...a, ...b]).toJSON());
        expect(of(a).merge(of(b)).toJSON()).toEqual(of(b).merge(of(a)).toJSON());
        expect(of(a).merge(of(b)).merge(of(c)).toJSON()).toEqual(
          of(a)
            .merge(of(b).merge(of(c)))
            .toJSON(),
        );
        expect(of(a, 16).merge(of(b, 16)).toJSON()).toEqual(of([...a, ...b], 16).toJSON());
      }),
    );
  });

  it('round-trips through JSON', () => {
    fc.assert(
      fc.property(anyValues, (xs) => {
        const s = of(xs);
        const text = JSON.stringify(s);
        expect(text).not.toMatch(/null|NaN|Infinity/);
        const back = QuantileSketch.fromJSON(JSON.parse(text));
        expect(back.ok && back.value.toJSON()).toEqual(s.toJSON());
      }),
    );
  });

  it('refuses to merge other parameters', () => {
    expect(() => of([]).merge(new QuantileSketch({ relativeAccuracy: 0.05 }))).toThrow(SketchMismatchError);
  });
});
