import { describe, expect, it } from 'vitest';
import { captureReasons } from './decide';
import type { CapturePolicy } from './policy';

const budget = { maxSamplesPerDay: 10, maxBytesPerDay: 1_000 };
const inputs = [
  { name: 'brightness', edges: [0.2, 0.4, 0.6] },
  { name: 'contrast', edges: [0.1, 0.3] },
];
const never = () => 0.999_999;

describe('captureReasons', () => {
  it('captures nothing without rules', () => {
    const policy: CapturePolicy = { budget, clientRetentionDays: 1 };
    const top = { label: 'a', confidence: 0.1, margin: 0 };
    expect(captureReasons(policy, { top, features: { brightness: 9 } }, inputs, () => 0)).toEqual([]);
  });

  it('fires each rule on its own condition and only there', () => {
    const policy: CapturePolicy = {
      lowConfidence: { below: 0.8 },
      lowMargin: { below: 0.3 },
      outOfRange: { features: ['brightness'] },
      budget,
      clientRetentionDays: 1,
    };
    const inside = { brightness: 0.5, contrast: 0.9 };
    expect(
      captureReasons(
        policy,
        { top: { label: 'a', confidence: 0.9, margin: 0.5 }, features: inside },
        inputs,
        never,
      ),
    ).toEqual([]);
    expect(
      captureReasons(
        policy,
        { top: { label: 'a', confidence: 0.79, margin: 0.5 }, features: inside },
        inputs,
        never,
      ),
    ).toEqual(['low_confidence']);
    expect(
      captureReasons(
        policy,
        { top: { label: 'a', confidence: 0.9, margin: 0.29 }, features: inside },
        inputs,
        never,
      ),
    ).toEqual(['low_margin']);
    // contrast is out of its range but not named; brightness exactly on an outer edge is inside.
    expect(
      captureReasons(
        policy,
        { top: { label: 'a', confidence: 0.9, margin: 0.5 }, features: { brightness: 0.6, contrast: 0.9 } },
        inputs,
        never,
      ),
    ).toEqual([]);
    expect(
      captureReasons(
        policy,
        { top: { label: 'a', confidence: 0.9, margin: 0.5 }, features: { brightness: 0.19 } },
        inputs,
        never,
      ),
    ).toEqual(['out_of_range']);
  });

  it('checks every profiled feature when none is named, ignores unknown and non-finite values', () => {
    const policy: CapturePolicy = { outOfRange: {}, budget, clientRetentionDays: 1 };
    expect(captureReasons(policy, { features: { contrast: 0.31 } }, inputs, never)).toEqual(['out_of_range']);
    expect(
      captureReasons(policy, { features: { other: 99, brightness: Number.NaN } }, inputs, never),
    ).toEqual([]);
  });

  it('draws the random sample at its rate on every inference (seeded)', () => {
    let s = 42;
    const rng = () => {
      s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
      return s / 2 ** 31;
    };
    const policy: CapturePolicy = {
      random: { rate: 0.05 },
      lowConfidence: { below: 0.5 },
      budget,
      clientRetentionDays: 1,
    };
    let random = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const reasons = captureReasons(
        policy,
        { top: { label: 'a', confidence: i % 2 ? 0.1 : 0.9, margin: 0 }, features: {} },
        inputs,
        rng,
      );
      if (reasons.includes('random')) random++;
    }
    // Binomial(20000, 0.05): sd ≈ 30.8; ± 5 sd.
    expect(Math.abs(random - n * 0.05)).toBeLessThan(155);
  });
});
