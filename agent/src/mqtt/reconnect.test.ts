import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './reconnect';

describe('reconnectDelayMs', () => {
  const policy = { baseMs: 100, maxMs: 5_000 };
  it('doubles up to the cap, jittered within [d/2, d]', () => {
    expect(reconnectDelayMs(policy, 0, () => 0)).toBe(50);
    expect(reconnectDelayMs(policy, 0, () => 1)).toBe(100);
    expect(reconnectDelayMs(policy, 3, () => 1)).toBe(800);
    expect(reconnectDelayMs(policy, 50, () => 1)).toBe(5_000);
    expect(reconnectDelayMs(policy, 50, () => 0)).toBe(2_500);
  });
  it('spreads delays with the random source', () => {
    const seen = new Set(Array.from({ length: 50 }, () => reconnectDelayMs(policy, 4)));
    expect(seen.size).toBeGreaterThan(10);
  });
});
