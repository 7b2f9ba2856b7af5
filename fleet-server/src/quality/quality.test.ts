import { emptyFeedback } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { qualityOf, sumFeedback } from './quality';

describe('qualityOf', () => {
  it('gives accuracy, agreement, review share and per-class precision/recall with exact intervals', () => {
    const a = emptyFeedback(['0', '180']);
    a.counts = [
      [8, 2],
      [1, 4],
    ];
    a.labels = { auto: { labelled: 10, correct: 9 }, review: { labelled: 5, correct: 3 } };
    a.routed = { auto: 30, review: 10 };
    const { sum, skipped } = sumFeedback([a, a, emptyFeedback(['x'])]);
    expect(skipped).toBe(1);
    const q = qualityOf(sum, { model: { name: 'cls', version: '1' }, fromMs: 0, toMs: 1, reports: 3 });
    expect(q.labelled).toBe(30);
    expect(q.accuracy).toMatchObject({ successes: 24, trials: 30, estimate: 0.8 });
    expect(q.accuracy.lower).toBeCloseTo(0.6143, 3);
    expect(q.accuracy.upper).toBeCloseTo(0.9229, 3);
    expect(q.agreement).toMatchObject({ successes: 6, trials: 10 });
    expect(q.reviewShare).toMatchObject({ successes: 20, trials: 80, estimate: 0.25 });
    expect(q.classes[1]).toMatchObject({
      label: '180',
      support: 10,
      precision: { successes: 8, trials: 12 },
      recall: { successes: 8, trials: 10 },
    });
    const none = qualityOf(undefined, {
      model: { name: 'cls', version: '1' },
      fromMs: 0,
      toMs: 1,
      reports: 0,
    });
    expect(none.accuracy).toEqual({ successes: 0, trials: 0, estimate: null, lower: 0, upper: 1 });
  });
});
