import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CategoryCounts } from './category-counts';
import { SketchMismatchError } from './errors';

const keys = fc.array(fc.constantFrom('cat', 'dog', 'bird', 'fish', '__proto__', 'constructor', ''), {
  maxLength: 50,
});
const of = (xs: string[], maxCategories = 64) => {
  const c = new CategoryCounts({ maxCategories });
  for (const x of xs) c.add(x);
  return c;
};

describe('CategoryCounts', () => {
  it('counts keys, including prototype-looking ones, and folds keys beyond the bound into other', () => {
    const c = of(['a', 'b', 'a', '__proto__', 'c'], 3);
    expect([c.get('a'), c.get('b'), c.get('__proto__'), c.get('c'), c.other, c.total]).toEqual([
      2, 1, 1, 0, 1, 5,
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('within the bound, merge is exact, commutative and associative', () => {
    fc.assert(
      fc.property(keys, keys, keys, (a, b, c) => {
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

  it('beyond the bound, merge stays commutative, keeps the top counts and conserves the total', () => {
    const many = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 40 });
    fc.assert(
      fc.property(many, many, (a, b) => {
        const ab = of(a, 3).merge(of(b, 3));
        expect(ab.toJSON()).toEqual(of(b, 3).merge(of(a, 3)).toJSON());
        expect(ab.total).toBe(a.length + b.length);
        expect(ab.counts.size).toBeLessThanOrEqual(3);
      }),
    );
  });

  it('round-trips through JSON, prototype keys included', () => {
    fc.assert(
      fc.property(keys, (xs) => {
        const c = of(xs);
        const back = CategoryCounts.fromJSON(JSON.parse(JSON.stringify(c)));
        expect(back.ok && back.value.toJSON()).toEqual(c.toJSON());
      }),
    );
  });

  it('refuses to merge a different bound', () => {
    expect(() => of([], 3).merge(of([], 4))).toThrow(SketchMismatchError);
  });
});
