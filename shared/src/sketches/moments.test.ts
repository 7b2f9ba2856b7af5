import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Moments } from './moments';

const values = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
  ),
  { maxLength: 60 },
);

const of = (xs: number[]) => {
  const m = new Moments();
  m.addMany(xs);
  return m;
};

/** Equal up to floating error: counts and extremes exactly, mean and m2 within a scale-aware tolerance. */
function expectClose(a: Moments, b: Moments, xs: number[]): void {
  expect([a.count, a.nanCount, a.posInfCount, a.negInfCount, a.min, a.max]).toEqual([
    b.count,
    b.nanCount,
    b.posInfCount,
    b.negInfCount,
    b.min,
    b.max,
  ]);
  const scale = Math.max(1, ...xs.filter(Number.isFinite).map(Math.abs));
  expect(Math.abs(a.mean - b.mean)).toBeLessThanOrEqual(1e-9 * scale);
  expect(Math.abs(a.m2 - b.m2)).toBeLessThanOrEqual(1e-9 * (a.m2 + a.count * scale * scale));
}

describe('Moments', () => {
  it('computes mean, population variance and counts non-finite values apart', () => {
    const m = of([1, 2, 3, 4, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(m.count).toBe(4);
    expect(m.mean).toBe(2.5);
    expect(m.variance).toBe(1.25);
    expect(m.std).toBeCloseTo(Math.sqrt(1.25), 12);
    expect([m.min, m.max, m.nanCount, m.posInfCount, m.negInfCount, m.total]).toEqual([1, 4, 1, 1, 1, 7]);
    expect(new Moments().variance).toBeNaN();
  });

  it('merge(sketch(A), sketch(B)) ≈ sketch(A ∪ B)', () => {
    fc.assert(
      fc.property(values, values, (a, b) => expectClose(of(a).merge(of(b)), of([...a, ...b]), [...a, ...b])),
    );
  });

  it('merge is commutative and associative within floating tolerance', () => {
    fc.assert(
      fc.property(values, values, values, (a, b, c) => {
        const all = [...a, ...b, ...c];
        expectClose(of(a).merge(of(b)), of(b).merge(of(a)), all);
        expectClose(of(a).merge(of(b)).merge(of(c)), of(a).merge(of(b).merge(of(c))), all);
      }),
    );
  });

  it('round-trips through JSON exactly, with only JSON-safe numbers', () => {
    fc.assert(
      fc.property(values, (xs) => {
        const m = of(xs);
        const text = JSON.stringify(m.toJSON());
        expect(text).not.toMatch(/null|NaN|Infinity/);
        const back = Moments.fromJSON(JSON.parse(text));
        expect(back.ok && back.value.toJSON()).toEqual(m.toJSON());
      }),
    );
  });

  it('clone is independent', () => {
    const m = of([1, 2]);
    const c = m.clone();
    c.add(100);
    expect(m.count).toBe(2);
    expect(c.count).toBe(3);
  });

  it('saturates an overflowing variance instead of writing Infinity', () => {
    const json = of([-1e200, 1e200]).toJSON();
    expect(Number.isFinite(json.m2)).toBe(true);
  });
});
