import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, reconnectDelayMs } from './backoff';

describe('reconnectDelayMs', () => {
  it('doubles from the initial delay up to the ceiling, jitter taking up to half off', () => {
    const top = () => 1;
    const bottom = () => 0;
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => reconnectDelayMs(a, DEFAULT_BACKOFF, top))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(reconnectDelayMs(3, DEFAULT_BACKOFF, bottom)).toBe(4_000);
  });

  it('stays within [(1 − jitter)·d, d] for any attempt, policy and random source (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.record({
          initialMs: fc.integer({ min: 1, max: 10_000 }),
          maxMs: fc.integer({ min: 1, max: 100_000 }),
          factor: fc.double({ min: 1, max: 4, noNaN: true }),
          jitter: fc.double({ min: -1, max: 2, noNaN: true }),
        }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (attempt, policy, r) => {
          const d = reconnectDelayMs(attempt, policy, () => r);
          const full = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
          const jitter = Math.min(1, Math.max(0, policy.jitter));
          expect(Number.isFinite(d)).toBe(true);
          expect(d).toBeLessThanOrEqual(Math.round(full));
          expect(d).toBeGreaterThanOrEqual(Math.floor(full * (1 - jitter)));
        },
      ),
    );
  });
});
