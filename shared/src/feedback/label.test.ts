import { describe, expect, it } from 'vitest';
import { judgeLabel, type KeptPrediction, LABEL_REFUSAL_KIND } from './label';

const kept: KeptPrediction = {
  predictionId: 'p1',
  createdMs: 1_000,
  model: { name: 'cls', version: '1.0.0' },
  classes: ['0', '180'],
  predictedIndex: 0,
  confidence: 0.9,
  route: 'review',
  reason: 'assist',
};

describe('judgeLabel', () => {
  it('takes a class of the version within the TTL, with its index', () => {
    expect(judgeLabel(kept, '180', { nowMs: 2_000, ttlMs: 1_000 })).toEqual({ ok: true, trueIndex: 1 });
  });

  it('refuses a label later than the TTL, saying how late', () => {
    const r = judgeLabel(kept, '0', { nowMs: 2_001, ttlMs: 1_000 });
    expect(r).toMatchObject({ ok: false, refusal: 'expired' });
    expect(!r.ok && r.message).toBe(
      'expected a label within 1000 ms of the prediction, came 1001 ms after it',
    );
  });

  it('refuses a label that is not a class, naming the classes', () => {
    for (const label of ['90', '', '0 ', 'constructor']) {
      const r = judgeLabel(kept, label, { nowMs: 1_000, ttlMs: 1_000 });
      expect(r).toMatchObject({ ok: false, refusal: 'bad_label' });
      expect(!r.ok && r.message).toContain('cls@1.0.0 ("0", "180")');
    }
  });

  it('maps every refusal to the error kind the agent and the browser share', () => {
    expect(Object.values(LABEL_REFUSAL_KIND)).toEqual([
      'unknown_prediction',
      'duplicate_label',
      'label_expired',
      'invalid_label',
      'window_full',
    ]);
  });
});
