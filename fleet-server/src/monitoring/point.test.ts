import { Histogram, Profile, type ProfileSpec } from '@edgefleet/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { histogramQuantile, pointOf } from './point';

const spec: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'x', edges: [0, 1, 2, 3] }],
  outputs: [{ name: 'confidence', edges: [0.5, 0.75, 1] }],
  classes: ['ok', 'bad'],
  latency: { relativeAccuracy: 0.01, maxBins: 512 },
};

describe('histogramQuantile', () => {
  it('interpolates inside the bin that holds the rank', () => {
    const h = new Histogram([0, 1, 2]);
    h.addMany([0.5, 1.5, 1.5, 1.5]);
    expect(histogramQuantile(h, 0.25, 0.5, 1.5)).toBeCloseTo(1, 12);
    expect(histogramQuantile(h, 0.5, 0.5, 1.5)).toBeCloseTo(1 + 1 / 3, 12);
    expect(histogramQuantile(new Histogram([0, 1]), 0.5, 0, 0)).toBeNull();
  });

  it('closes the open bins with the observed min and max and stays inside them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const h = new Histogram([-1, 0, 1]);
          h.addMany(xs);
          const value = histogramQuantile(h, q, Math.min(...xs), Math.max(...xs));
          expect(value).not.toBeNull();
          expect(value!).toBeGreaterThanOrEqual(Math.min(...xs));
          expect(value!).toBeLessThanOrEqual(Math.max(...xs));
        },
      ),
    );
  });
});

describe('pointOf', () => {
  it('summarises counts, class mix (null outputs included) and confidence of a merged profile', () => {
    const p = new Profile(spec);
    for (let i = 0; i < 10; i++) {
      p.observeInputs({ x: i / 4 });
      p.observeOutputs(i < 8 ? { confidence: 0.6 + i / 40 } : null);
      if (i < 8) p.observeClass(i < 6 ? 'ok' : '__proto__');
      p.observeLatency('total', 3);
    }
    p.recordError('infer');
    const point = pointOf(5, 2, p, null);
    expect(point).toMatchObject({ t: 5, reports: 2, inferences: 10, errors: 1, errorRate: 0.1, drift: null });
    expect(point.classMix).toEqual(
      Object.fromEntries([
        ['ok', 0.6],
        ['(other)', 0.2],
        ['(missing)', 0.2],
      ]),
    );
    expect(point.confidence!.mean).toBeCloseTo(p.outputs.get('confidence')!.moments.mean, 12);
    expect(point.latencyMs!.p50).toBeCloseTo(3, 1);
    expect(pointOf(5, 0, null, null)).toMatchObject({
      reports: 0,
      latencyMs: null,
      classMix: null,
      confidence: null,
    });
  });
});
