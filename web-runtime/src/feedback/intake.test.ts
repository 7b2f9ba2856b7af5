import { judgeLabel, type KeptPrediction, type LabelCount } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors';
import { FeedbackIntake, type LabelWindow } from './intake';
import type { ClaimOutcome, PredictionClaims } from './predictions';

// The claims of the IndexedDB store over a Map (the store itself is tested in Chromium: test/web-runtime).
function memoryClaims(now: () => number, ttlMs = 1_000) {
  const rows = new Map<string, KeptPrediction & { label?: number }>();
  const claims: PredictionClaims = {
    settled: async () => undefined,
    async claim(id, label): Promise<ClaimOutcome> {
      const row = rows.get(id);
      if (!row) return { ok: false, refusal: 'unknown', message: 'unknown' };
      const judged = judgeLabel(row, label, { nowMs: now(), ttlMs });
      if (!judged.ok) return judged;
      if (row.label !== undefined) return { ok: false, refusal: 'duplicate', message: 'duplicate' };
      row.label = judged.trueIndex;
      return { ok: true, record: row, trueIndex: judged.trueIndex };
    },
    async unclaim(id) {
      const row = rows.get(id);
      if (row) delete row.label;
    },
  };
  return { rows, claims };
}

// A window of cls@1.0.0 that takes `room` labels.
function windowWith(room: number) {
  const counted: LabelCount[] = [];
  const window: LabelWindow = {
    model: { name: 'cls', version: '1.0.0' },
    countLabel(label) {
      if (counted.length >= room) return { ok: false, refusal: 'window_full' };
      counted.push(label);
      return { ok: true };
    },
  };
  return { counted, window };
}

const prediction = (id: string, createdMs = 0): KeptPrediction => ({
  predictionId: id,
  createdMs,
  model: { name: 'cls', version: '1.0.0' },
  classes: ['0', '180'],
  predictedIndex: 0,
  confidence: 0.7,
  route: 'review',
  reason: 'assist',
});

const kindOf = (p: Promise<unknown>) =>
  p.then(
    () => 'counted',
    (e: unknown) => (e instanceof RuntimeError ? e.kind : `not a RuntimeError: ${String(e)}`),
  );

describe('FeedbackIntake', () => {
  it('counts a label once, into the window of its version, and refuses the rest by kind', async () => {
    let now = 0;
    const { rows, claims } = memoryClaims(() => now);
    const { counted, window } = windowWith(10);
    const intake = new FeedbackIntake(claims, (m) => (m.version === '1.0.0' ? window : undefined));
    rows.set('a', prediction('a'));
    rows.set('b', prediction('b'));
    rows.set('old', { ...prediction('old'), model: { name: 'cls', version: '0.9.0' } });
    expect(await intake.submit('a', '180')).toEqual({ predictionId: 'a', counted: true });
    expect(counted).toEqual([{ trueIndex: 1, predictedIndex: 0, route: 'review', confidence: 0.7 }]);
    expect(await kindOf(intake.submit('a', '180'))).toBe('duplicate_label');
    expect(await kindOf(intake.submit('a', '0'))).toBe('duplicate_label');
    expect(await kindOf(intake.submit('nope', '0'))).toBe('unknown_prediction');
    expect(await kindOf(intake.submit('b', '90'))).toBe('invalid_label');
    expect(await kindOf(intake.submit('old', '0'))).toBe('window_full');
    now = 1_001;
    expect(await kindOf(intake.submit('b', '0'))).toBe('label_expired');
    expect(counted).toHaveLength(1);
    expect(intake.counters).toEqual({
      labelsCounted: 1,
      refused: {
        duplicate_label: 2,
        unknown_prediction: 1,
        invalid_label: 1,
        window_full: 1,
        label_expired: 1,
      },
    });
    // A label its window could not take is given back: it counts when sent again to a window with room.
    expect(rows.get('old')!.label).toBeUndefined();
  });

  it('refuses hostile arguments before touching the store', async () => {
    const { claims } = memoryClaims(() => 0);
    const intake = new FeedbackIntake(claims, () => windowWith(10).window);
    for (const [id, label] of [
      [undefined, '0'],
      ['', '0'],
      ['x'.repeat(65), '0'],
      [{ toString: () => 'a' }, '0'],
      ['a', 0],
      ['a', ''],
      ['a', 'y'.repeat(129)],
      ['a', null],
    ] as const) {
      expect(await kindOf(intake.submit(id, label))).toBe('input_invalid');
    }
  });

  it('under a flood beyond the window’s room counts exactly the room, and every refused label may come again', async () => {
    const { rows, claims } = memoryClaims(() => 0);
    const { counted, window } = windowWith(3);
    const intake = new FeedbackIntake(claims, () => window);
    for (let i = 0; i < 10; i++) rows.set(`p${i}`, prediction(`p${i}`));
    const kinds = await Promise.all(
      Array.from({ length: 10 }, (_, i) => kindOf(intake.submit(`p${i}`, '0'))),
    );
    expect(kinds.filter((k) => k === 'counted')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'window_full')).toHaveLength(7);
    expect(counted).toHaveLength(3);
    expect([...rows.values()].filter((r) => r.label !== undefined)).toHaveLength(3);
  });
});
