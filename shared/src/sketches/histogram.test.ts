import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SketchMismatchError } from './errors';
import { Histogram } from './histogram';

const EDGES = [-10, -1, 0, 0.5, 1, 100];
const values = fc.array(fc.double(), { maxLength: 80 });
const of = (xs: number[], edges = EDGES) => {
  const h = new Histogram(edges);
  h.addMany(xs);
  return h;
};

describe('Histogram', () => {
  it('puts values in [edges[i-1], edges[i]) with open under/overflow and NaN apart', () => {
    const h = of([
      -11,
      -10,
      -0.5,
      0,
      0.49,
      0.5,
      99,
      100,
      1e9,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
    expect(h.counts).toEqual([2, 1, 1, 2, 1, 1, 3]);
    expect(h.nan).toBe(1);
    expect(h.total).toBe(11);
    expect(h.outOfRange).toBe(5);
  });

  it('finds the same bin by linear scan (few edges) and binary search (many edges)', () => {
    const many = Array.from({ length: 100 }, (_, i) => (i - 50) / 10);
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        for (const edges of [EDGES, many]) {
          const expected = edges.filter((e) => e <= x).length;
          expect(new Histogram(edges).binOf(x)).toBe(expected);
        }
      }),
    );
  });

  it('merge(sketch(A), sketch(B)) equals sketch(A ∪ B) exactly; merge is commutative and associative', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        expect(of(a).merge(of(b)).toJSON()).toEqual(of([...a, ...b]).toJSON());
        expect(of(a).merge(of(b)).toJSON()).toEqual(of(b).merge(of(a)).toJSON());
        expect(of(a).merge(of(b)).merge(of(c)).toJSON()).toEqual(
          of(a)
            .merge(of(b).merge(of(c)))
            .toJSON(),
        );
      }),
    );
  });

  it('round-trips through JSON', () => {
    fc.assert(
      fc.property(values, (xs) => {
        const h = of(xs);
        const back = Histogram.fromJSON(JSON.parse(JSON.stringify(h)));
        expect(back.ok && back.value.toJSON()).toEqual(h.toJSON());
      }),
    );
  });

  it('refuses to merge other edges and to build from bad edges', () => {
    expect(() => of([]).merge(of([], [0, 1]))).toThrow(SketchMismatchError);
    expect(() => new Histogram([1, 1])).toThrow(RangeError);
    expect(() => new Histogram([0, Number.NaN])).toThrow(RangeError);
    expect(() => new Histogram([])).toThrow(RangeError);
  });
});
