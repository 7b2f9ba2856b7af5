import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinStore } from './bin-store';

/**
 * Collapsing-lowest is path-independent: every key k ends up in max(k, M − maxBins + 1), M being
 * the highest key seen. This model computes that directly.
 */
function model(keys: number[], maxBins: number): Map<number, number> {
  const floor = Math.max(...keys) - maxBins + 1;
  const out = new Map<number, number>();
  for (const k of keys) {
    const kk = Math.max(k, floor);
    out.set(kk, (out.get(kk) ?? 0) + 1);
  }
  return out;
}

function contents(s: BinStore): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = s.minKey; k <= s.maxKey; k++) if (s.get(k) !== 0) out.set(k, s.get(k));
  return out;
}

describe('BinStore', () => {
  it('matches the collapsing-lowest model for any insertion order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 16, max: 80 }),
        (keys, maxBins) => {
          const s = new BinStore(maxBins);
          for (const k of keys) s.add(k, 1);
          expect(contents(s)).toEqual(model(keys, maxBins));
          expect(s.count).toBe(keys.length);
          expect(s.maxKey - s.minKey + 1).toBeLessThanOrEqual(maxBins);
        },
      ),
    );
  });

  it('encodes runs of empty bins as negative numbers and decodes back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 100 }), (keys) => {
        const s = new BinStore(256);
        for (const k of keys) s.add(k, 1);
        const { key0, bins } = s.encode();
        expect(bins.length === 0 || (bins[0]! > 0 && bins[bins.length - 1]! > 0)).toBe(true);
        const back = new BinStore(256);
        expect(back.decode(key0, bins)).toBeUndefined();
        expect(contents(back)).toEqual(contents(s));
      }),
    );
    expect(new BinStore(16).decode(0, [-20])).toMatch(/maxBins/);
  });
});
