import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PredictionRecord, PredictionStore } from './store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const prediction = (i: number, createdMs: number): PredictionRecord => ({
  predictionId: `p${i}`,
  createdMs,
  model: { name: 'cls', version: '1.0.0' },
  classes: ['0', '180'],
  predictedIndex: i % 2,
  confidence: 0.9,
  route: i % 3 === 0 ? 'review' : 'auto',
  reason: 'test',
});

describe('PredictionStore (real SQLite)', () => {
  it('keeps at most maxPredictions, oldest dropped first, across a reopen; each label is claimed once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-predictions-'));
    dirs.push(dir);
    let now = 1_000_000;
    const open = () =>
      new PredictionStore(join(dir, 'p.db'), { ttlMs: 10_000, maxPredictions: 50, now: () => now });
    let store = open();
    for (let i = 0; i < 120; i++) store.record(prediction(i, now));
    expect(store.size).toBe(50);
    expect(store.claim('p69', '0')).toMatchObject({ ok: false, refusal: 'unknown' });
    store.close();
    store = open();
    expect(store.size).toBe(50);
    expect(store.claim('p70', '180')).toMatchObject({
      ok: true,
      trueIndex: 1,
      record: { predictedIndex: 0 },
    });
    expect(store.claim('p70', '180')).toMatchObject({ ok: false, refusal: 'duplicate' });
    expect(store.claim('p71', 'x')).toMatchObject({ ok: false, refusal: 'bad_label' });
    store.unclaim('p70');
    expect(store.claim('p70', '0')).toMatchObject({ ok: true, trueIndex: 0 });
    expect(store.pendingReview(100).map((p) => p.predictionId)).toEqual(
      Array.from({ length: 120 }, (_, i) => i)
        .filter((i) => i >= 72 && i % 3 === 0)
        .reverse()
        .map((i) => `p${i}`),
    );
    now += 10_001;
    expect(store.claim('p72', '0')).toMatchObject({ ok: false, refusal: 'expired' });
    expect(store.pendingReview(100)).toEqual([]);
    store.close();
  });
});
