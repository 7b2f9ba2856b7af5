import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureBudget } from './budget';
import { CaptureStore } from './store';

const DAY = 86_400_000;
const dirs: string[] = [];
const freshPath = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-capture-budget-'));
  dirs.push(dir);
  return join(dir, 'capture.db');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('CaptureBudget (real SQLite, injected clock)', () => {
  it('holds the daily bounds over a simulated day, across restarts, and starts over the next UTC day', () => {
    const path = freshPath();
    const budget = { maxSamplesPerDay: 60, maxBytesPerDay: 30_000, classQuotas: { '180': 5 } };
    const t0 = 20_000 * DAY; // midnight UTC
    let clock = t0;
    let store = new CaptureStore(path);
    let b = new CaptureBudget(store, () => clock);
    const admitted = { samples: 0, bytes: 0, c180: 0 };
    const refused: Record<string, number> = {};
    // A day of traffic: one candidate every 7 minutes, sizes 300..1,199 bytes, every third predicted '180';
    // the agent restarts every 50 candidates (a new store and budget on the same file).
    for (let i = 0; clock < t0 + DAY; i++, clock += 7 * 60_000) {
      if (i > 0 && i % 50 === 0) {
        store.close();
        store = new CaptureStore(path);
        b = new CaptureBudget(store, () => clock);
      }
      const sample = { sizeBytes: 300 + ((i * 397) % 900), label: i % 3 === 0 ? '180' : '0' };
      const why = b.admit(budget, sample);
      if (why) refused[why] = (refused[why] ?? 0) + 1;
      else {
        admitted.samples++;
        admitted.bytes += sample.sizeBytes;
        if (sample.label === '180') admitted.c180++;
      }
    }
    expect(admitted.samples).toBeLessThanOrEqual(60);
    expect(admitted.bytes).toBeLessThanOrEqual(30_000);
    expect(admitted.c180).toBe(5);
    // The bytes ran out first here (≈ 750 B a sample): some samples refused for bytes, and the quota for class 180.
    expect(refused.bytes).toBeGreaterThan(0);
    expect(refused.class_quota).toBeGreaterThan(0);
    expect(b.today).toMatchObject({ dayMs: t0, samples: admitted.samples, bytes: admitted.bytes });
    expect(b.today.refused.bytes + b.today.refused.class_quota + b.today.refused.samples).toBe(
      Object.values(refused).reduce((a, n) => a + n, 0),
    );
    // The next UTC day: a fresh budget (after one more restart).
    clock = t0 + DAY + 1;
    store.close();
    store = new CaptureStore(path);
    b = new CaptureBudget(store, () => clock);
    expect(b.admit(budget, { sizeBytes: 500, label: '180' })).toBeUndefined();
    expect(b.today).toMatchObject({ dayMs: t0 + DAY, samples: 1, bytes: 500 });
    store.close();
  });

  it('refuses on the sample count when samples are small', () => {
    const store = new CaptureStore(freshPath());
    let clock = 5 * DAY + 3_600_000;
    const b = new CaptureBudget(store, () => clock);
    const budget = { maxSamplesPerDay: 3, maxBytesPerDay: 1_000_000 };
    const results = Array.from({ length: 5 }, () => {
      clock += 1_000;
      return b.admit(budget, { sizeBytes: 10 }) ?? 'ok';
    });
    expect(results).toEqual(['ok', 'ok', 'ok', 'samples', 'samples']);
    store.close();
  });

  it('starts a fresh day when the stored record is garbage, and says why', () => {
    const path = freshPath();
    const store = new CaptureStore(path);
    store.writeDay('{"dayMs":"yesterday"}');
    const b = new CaptureBudget(store, () => 3 * DAY);
    expect(b.problem).toMatch(/capture day record/);
    expect(b.today).toMatchObject({ dayMs: 3 * DAY, samples: 0 });
    store.close();
  });
});
