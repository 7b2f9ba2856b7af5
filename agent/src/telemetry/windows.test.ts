import { describe, expect, it } from 'vitest';
import { MAX_DEFERRED_OBSERVATIONS, TelemetryWindows } from './windows';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('TelemetryWindows.defer', () => {
  it('runs observations after the current macrotask, in order, and one that throws never stops the rest', async () => {
    const windows = new TelemetryWindows();
    const ran: number[] = [];
    windows.defer(() => ran.push(1));
    windows.defer(() => {
      throw new Error('bug in a statistic');
    });
    windows.defer(() => ran.push(3));
    await Promise.resolve();
    expect(ran).toEqual([]);
    await turn();
    expect(ran).toEqual([1, 3]);
    expect(windows.failedObservations).toBe(1);
  });

  it('runs the oldest at once when the bound is reached, and everything on close', () => {
    const windows = new TelemetryWindows();
    const ran: number[] = [];
    for (let i = 0; i < MAX_DEFERRED_OBSERVATIONS + 1; i++) windows.defer(() => ran.push(i));
    expect(ran).toEqual(Array.from({ length: MAX_DEFERRED_OBSERVATIONS }, (_, i) => i));
    expect(windows.close()).toEqual([]);
    expect(ran).toHaveLength(MAX_DEFERRED_OBSERVATIONS + 1);
  });
});
