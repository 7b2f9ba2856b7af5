import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, bucketOf, inStage, stageThreshold } from './index';

/** χ² critical value for 99 degrees of freedom at α = 0.001. */
const CHI2_CRITICAL_99_DF = 148.23;

const chiSquare = (counts: number[]): number => {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
};

const ids = Array.from({ length: 100_000 }, (_, i) => `device-${i}`);

describe('bucketOf', () => {
  // Computed with an independent Python implementation of the documented formula.
  it.each([
    ['station-7', 'r-42', 3115],
    ['station-8', 'r-42', 9289],
    ['3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b', 'checkout-canary', 7795],
    ['ステーション-7', 'r-42', 2864],
    ['😀-device', 'salt', 1884],
    ['', '', 0],
    ['a', '', 4850],
  ])('bucketOf(%j, %j) = %d', (id, salt, bucket) => {
    expect(bucketOf(id, salt)).toBe(bucket);
  });

  // A property, not a speed target: a loaded machine can take longer than the default 5 s.
  it('is stable and in range for any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (id, salt) => {
        const bucket = bucketOf(id, salt);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT).toBe(true);
        expect(bucketOf(id, salt)).toBe(bucket);
      }),
    );
  }, 60_000);

  it('hashes UTF-8 bytes as given, without normalising', () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(bucketOf(composed, 's')).toBe(bucketOf(composed, 's'));
    expect(bucketOf(composed, 's')).not.toBe(bucketOf(decomposed, 's'));
  });

  it('keeps salt and id apart (no concatenation ambiguity)', () => {
    expect(bucketOf('b', 'a')).not.toBe(bucketOf('', 'ab'));
    expect(bucketOf('bc', 'a')).not.toBe(bucketOf('c', 'ab'));
  });

  it('spreads 100k ids uniformly (χ² over 100 stage-sized groups and over the low digits)', () => {
    const byStage = new Array<number>(100).fill(0);
    const byLowDigits = new Array<number>(100).fill(0);
    for (const id of ids) {
      const bucket = bucketOf(id, 'uniformity');
      byStage[Math.floor(bucket / 100)]! += 1;
      byLowDigits[bucket % 100]! += 1;
    }
    expect(chiSquare(byStage)).toBeLessThan(CHI2_CRITICAL_99_DF);
    expect(chiSquare(byLowDigits)).toBeLessThan(CHI2_CRITICAL_99_DF);
  });

  it('detects a poor hash (the χ² check can fail)', () => {
    const byStage = new Array<number>(100).fill(0);
    for (const id of ids) {
      let sum = 0;
      for (let i = 0; i < id.length; i++) sum += id.charCodeAt(i) * (i + 1);
      byStage[Math.floor((sum % BUCKET_COUNT) / 100)]! += 1;
    }
    expect(chiSquare(byStage)).toBeGreaterThan(CHI2_CRITICAL_99_DF);
  });

  it('splits independently for different salts', () => {
    const both = ids.filter((id) => inStage(id, 'rollout-a', 10) && inStage(id, 'rollout-b', 10)).length;
    // Independent 10 % stages overlap in 1 % of targets: 1000 ± 3σ (σ ≈ 31).
    expect(both).toBeGreaterThan(900);
    expect(both).toBeLessThan(1100);
  });
});

describe('inStage', () => {
  it('holds the share of targets the percent names', () => {
    for (const percent of [1, 5, 25, 50]) {
      const share = ids.filter((id) => inStage(id, 'share', percent)).length / ids.length;
      expect(Math.abs(share - percent / 100)).toBeLessThan(0.005);
    }
  });

  it('covers nobody at 0 % and everybody at 100 %', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (id, salt) => {
        expect(inStage(id, salt, 0)).toBe(false);
        expect(inStage(id, salt, 100)).toBe(true);
      }),
    );
  });

  it('only ever adds targets as the percent grows (monotone membership)', () => {
    const percent = fc.integer({ min: 0, max: 10_000 }).map((b) => b / 100);
    fc.assert(
      fc.property(fc.string(), fc.string(), percent, percent, (id, salt, p, q) => {
        const [low, high] = p <= q ? [p, q] : [q, p];
        if (inStage(id, salt, low)) expect(inStage(id, salt, high)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('rounds percents to whole buckets', () => {
    expect(stageThreshold(0.07)).toBe(7);
    expect(stageThreshold(0.29)).toBe(29);
    expect(stageThreshold(33.33)).toBe(3333);
    expect(stageThreshold(-5)).toBe(0);
    expect(stageThreshold(Number.NaN)).toBe(0);
    expect(stageThreshold(250)).toBe(BUCKET_COUNT);
  });
});
