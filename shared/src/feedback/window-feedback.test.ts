import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correctTotal, labelledTotal, mergeFeedback } from '../protocol/feedback';
import { WindowFeedback } from './window-feedback';

describe('WindowFeedback', () => {
  it('counts routes and labels into the confusion matrix and the per-route counts', () => {
    const f = new WindowFeedback(['0', '180']);
    expect(f.aggregate).toBeUndefined();
    f.countRoute('auto');
    f.countRoute('review');
    f.countRoute('review');
    expect(f.countLabel({ trueIndex: 0, predictedIndex: 0, route: 'auto' }, 3)).toEqual({ ok: true });
    expect(f.countLabel({ trueIndex: 1, predictedIndex: 0, route: 'review' }, 3)).toEqual({ ok: true });
    expect(f.aggregate).toEqual({
      classes: ['0', '180'],
      counts: [
        [1, 0],
        [1, 0],
      ],
      labels: { auto: { labelled: 1, correct: 1 }, review: { labelled: 1, correct: 0 } },
      routed: { auto: 1, review: 2 },
    });
    expect(f.labelled).toBe(2);
  });

  it('bins the confidences it is given (calibration), label-free and labelled', () => {
    const f = new WindowFeedback(['0', '180']);
    f.countRoute('auto', 0.93);
    f.countRoute('review', 0.42);
    f.countLabel({ trueIndex: 1, predictedIndex: 0, route: 'review', confidence: 0.42 }, 2);
    const c = f.aggregate?.calibration;
    expect(c?.routed).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(c?.labelled).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(c?.correct).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(c?.labelledConfidence[4]).toBe(0.42);
  });

  it('refuses a label beyond the window’s inferences and an index outside the classes, counting nothing', () => {
    const f = new WindowFeedback(['a', 'b']);
    expect(f.countLabel({ trueIndex: 0, predictedIndex: 1, route: 'auto' }, 0)).toEqual({
      ok: false,
      refusal: 'window_full',
    });
    expect(f.countLabel({ trueIndex: 2, predictedIndex: 0, route: 'auto' }, 5)).toEqual({
      ok: false,
      refusal: 'bad_index',
    });
    expect(f.countLabel({ trueIndex: 0, predictedIndex: -1, route: 'auto' }, 5).ok).toBe(false);
    expect(f.countLabel({ trueIndex: 0.5, predictedIndex: 0, route: 'auto' }, 5).ok).toBe(false);
    expect(f.aggregate).toBeUndefined();
    expect(f.countLabel({ trueIndex: 0, predictedIndex: 0, route: 'review' }, 1).ok).toBe(true);
    expect(f.countLabel({ trueIndex: 1, predictedIndex: 1, route: 'review' }, 1)).toEqual({
      ok: false,
      refusal: 'window_full',
    });
    expect(labelledTotal(f.aggregate!)).toBe(1);
  });

  it('hands out a copy: later counts never change an aggregate already taken', () => {
    const f = new WindowFeedback(['a', 'b']);
    f.countRoute('auto');
    const taken = f.aggregate!;
    f.countRoute('auto');
    f.countLabel({ trueIndex: 0, predictedIndex: 0, route: 'auto' }, 2);
    expect(taken.routed.auto).toBe(1);
    expect(labelledTotal(taken)).toBe(0);
  });

  it('property: counting a label stream in two windows and merging equals counting it in one', () => {
    const label = fc.record({
      trueIndex: fc.integer({ min: 0, max: 2 }),
      predictedIndex: fc.integer({ min: 0, max: 2 }),
      route: fc.constantFrom('auto' as const, 'review' as const),
    });
    fc.assert(
      fc.property(fc.array(label, { maxLength: 40 }), fc.nat(40), (labels, cut) => {
        const classes = ['x', 'y', 'z'];
        const one = new WindowFeedback(classes);
        const [a, b] = [new WindowFeedback(classes), new WindowFeedback(classes)];
        labels.forEach((l, i) => {
          one.countRoute(l.route);
          one.countLabel(l, labels.length);
          const part = i < cut ? a : b;
          part.countRoute(l.route);
          part.countLabel(l, labels.length);
        });
        if (labels.length === 0) return;
        const whole = one.aggregate!;
        const parts = [a.aggregate, b.aggregate].filter((x) => x !== undefined);
        const merged =
          parts.length === 2 ? mergeFeedback(parts[0]!, parts[1]!) : { ok: true, value: parts[0]! };
        expect(merged.ok && merged.value).toEqual(whole);
        const correct = labels.filter((l) => l.trueIndex === l.predictedIndex).length;
        expect([labelledTotal(whole), correctTotal(whole)]).toEqual([labels.length, correct]);
      }),
    );
  });
});
