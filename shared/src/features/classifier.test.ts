import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifierFeatures } from './classifier';

/** Naive softmax in float64 with the max subtracted (the oracle). */
function naive(scores: number[]): { top1: number; confidence: number; margin: number } {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / z);
  const top1 = scores.indexOf(m); // by score: near-equal logits can round to equal probabilities
  const sorted = [...p].sort((a, b) => b - a);
  return { top1, confidence: sorted[0]!, margin: sorted[0]! - (sorted[1] ?? 0) };
}

describe('classifierFeatures', () => {
  it('reads probabilities as they are', () => {
    const r = classifierFeatures(new Float32Array([0.1, 0.7, 0.2]), [1, 3]);
    expect(r.ok).toBe(true);
    if (r.ok) {
      const asRecord: Readonly<Record<string, number>> = r.value; // what Profile.observeOutputs takes
      expect(asRecord.top1).toBe(1);
      expect(r.value.top1).toBe(1);
      expect(r.value.confidence).toBeCloseTo(0.7, 6);
      expect(r.value.margin).toBeCloseTo(0.5, 6);
    }
  });

  it('applies a stable softmax to logits (matches the naive one)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -60, max: 60, noNaN: true }), { minLength: 2, maxLength: 50 }),
        (xs) => {
          const d = new Float64Array(xs);
          const r = classifierFeatures(d, [xs.length], { scores: 'logits' });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const e = naive(xs);
          expect(r.value.top1).toBe(e.top1);
          expect(r.value.confidence).toBeCloseTo(e.confidence, 12);
          expect(r.value.margin).toBeCloseTo(e.margin, 12);
        },
      ),
    );
  });

  it('detects logits in auto mode and stays finite for huge logits', () => {
    const r = classifierFeatures(new Float32Array([1000, 999, -1000]), [3]);
    expect(r.ok && r.value.top1).toBe(0);
    if (r.ok) {
      expect(r.value.confidence).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
      expect(r.value.margin).toBeCloseTo((1 - Math.exp(-1)) / (1 + Math.exp(-1)), 6);
    }
    // In [0, 1] but not summing to 1 → logits.
    const s = classifierFeatures(new Float32Array([0.5, 0.9, 0.1]), [3]);
    expect(s.ok && s.value.confidence).toBeCloseTo(naive([0.5, 0.9, 0.1]).confidence, 6);
  });

  it('forces the reading when asked', () => {
    const p = new Float32Array([0.25, 0.75]);
    const asLogits = classifierFeatures(p, [1, 2], { scores: 'logits' });
    expect(asLogits.ok && asLogits.value.confidence).toBeCloseTo(naive([0.25, 0.75]).confidence, 6);
    const asProbs = classifierFeatures(new Float32Array([0.2, 0.5]), [2], { scores: 'probabilities' });
    expect(asProbs.ok && asProbs.value).toMatchObject({ top1: 1 });
    expect(asProbs.ok && asProbs.value.margin).toBeCloseTo(0.3, 6);
  });

  it('treats [K] and [1, K] alike and reads a chosen batch item', () => {
    const d = new Float32Array([3, 1, 2, 0.1, 0.2, 0.7]);
    expect(classifierFeatures(d.subarray(0, 3), [3])).toEqual(classifierFeatures(d.subarray(0, 3), [1, 3]));
    expect(classifierFeatures(d, [2, 3]).ok).toBe(false);
    const second = classifierFeatures(d, [2, 3], { item: 1 });
    expect(second.ok && second.value.top1).toBe(2);
    expect(second.ok && second.value.confidence).toBeCloseTo(0.7, 6);
    const nchw = classifierFeatures(d.subarray(0, 3), [1, 3, 1, 1]);
    expect(nchw.ok && nchw.value.top1).toBe(0);
  });

  it('reads a single score as a binary probability (sigmoid for a logit)', () => {
    const p = classifierFeatures(new Float32Array([0.8]), [1, 1]);
    expect(p.ok && p.value.top1).toBe(1);
    expect(p.ok && p.value.confidence).toBeCloseTo(0.8, 6);
    expect(p.ok && p.value.margin).toBeCloseTo(0.6, 6);
    const q = classifierFeatures(new Float32Array([-2]), [1]);
    const sig = 1 / (1 + Math.exp(2));
    expect(q.ok && q.value).toMatchObject({ top1: 0 });
    expect(q.ok && q.value.confidence).toBeCloseTo(1 - sig, 9);
    expect(q.ok && q.value.margin).toBeCloseTo(1 - 2 * sig, 9);
    expect(classifierFeatures(new Float32Array([-800]), [1]).ok).toBe(true);
  });

  it('breaks ties to the lowest index with margin 0', () => {
    const r = classifierFeatures(new Float32Array([0.4, 0.4, 0.2]), [3]);
    expect(r.ok && r.value).toMatchObject({ top1: 0 });
    expect(r.ok && r.value.margin).toBe(0);
  });

  it('returns errors for NaN/+Inf scores and malformed dims, never throws', () => {
    expect(classifierFeatures(new Float32Array([0.1, Number.NaN]), [2]).ok).toBe(false);
    expect(classifierFeatures(new Float32Array([1, Number.POSITIVE_INFINITY]), [2]).ok).toBe(false);
    const masked = classifierFeatures(new Float32Array([2, Number.NEGATIVE_INFINITY, 1]), [3]);
    expect(masked.ok && masked.value.confidence).toBeCloseTo(naive([2, 1]).confidence, 6);
    expect(classifierFeatures(new Float32Array(3), [4]).ok).toBe(false);
    expect(classifierFeatures(new Float32Array(0), [0]).ok).toBe(false);
    expect(classifierFeatures(new Float32Array(0), [1, 0]).ok).toBe(false);
    expect(classifierFeatures(new Float32Array(2), []).ok).toBe(false);
    expect(classifierFeatures(new Float32Array(2), [-1, -2]).ok).toBe(false);
    expect(classifierFeatures(new Float32Array(2), [1, 2], { item: 1 }).ok).toBe(false);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 4 }), fc.nat(20), (dims, len) => {
        const r = classifierFeatures(new Float32Array(len), dims);
        if (r.ok) expect(dims.reduce((a, b) => a * b, 1)).toBe(len);
      }),
    );
  });
});
