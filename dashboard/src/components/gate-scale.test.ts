import type { GateValueView as GateValue } from '@edgefleet/shared/api';
import { describe, expect, it } from 'vitest';
import { describeGate, gateEvidence, gateScale } from './gate-scale';

const psi: GateValue = {
  gate: 'drift.psi.input.brightness',
  value: 0.04,
  threshold: 0.25,
  bound: 'max',
  status: 'inconclusive',
  test: 'noncentral-chi-square',
  lower: 0,
  upper: 0.31,
  confidence: 0.99994,
  n: 420,
  controlN: 300,
  needMore: 380,
};

describe('gate scale', () => {
  it('places the interval, estimate and threshold of a max gate on 0 … 2·threshold', () => {
    const s = gateScale(psi);
    expect(s).toMatchObject({ lo: 0, hi: 0.5, evidence: 'interval' });
    expect(s.threshold).toEqual({ pct: 50, clipped: null });
    expect(s.estimate?.pct).toBeCloseTo(8);
    expect(s.band?.fromPct).toBe(0);
    expect(s.band?.toPct).toBeCloseTo(62);
    expect(s.band).toMatchObject({ openLow: false, openHigh: false });
  });

  it('widens the scale to an upper bound past 2·threshold, up to 4·threshold', () => {
    const s = gateScale({ ...psi, value: 0.3, lower: 0.26, upper: 0.8, status: 'breach' });
    expect(s.hi).toBe(0.8);
    expect(s.band?.fromPct).toBeCloseTo(32.5);
    expect(s.band?.toPct).toBe(100);
    expect(s.band?.openHigh).toBe(false);
    // The band lies right of the threshold line: a breach of a max gate.
    expect(s.band!.fromPct).toBeGreaterThan(s.threshold.pct);
  });

  it('clips a very wide or unbounded upper bound at 4·threshold and marks it open', () => {
    const wide = gateScale({ ...psi, upper: 40 });
    expect(wide.hi).toBe(1);
    expect(wide.threshold.pct).toBe(25);
    expect(wide.band).toMatchObject({ toPct: 100, openHigh: true, openLow: false });
    // JSON carries an infinite bound as null: an interval with one null end is unbounded on that side.
    const unbounded = gateScale({ ...psi, upper: null });
    expect(unbounded.evidence).toBe('interval');
    expect(unbounded.hi).toBe(0.5);
    expect(unbounded.band).toMatchObject({ fromPct: 0, toPct: 100, openHigh: true });
    const noLower = gateScale({ ...psi, lower: null });
    expect(noLower.band).toMatchObject({ fromPct: 0, openLow: true, openHigh: false });
  });

  it('clips an estimate past the scale to its edge (a count far above its minimum)', () => {
    const count: GateValue = {
      gate: 'minInferences',
      value: 5_000,
      threshold: 100,
      bound: 'min',
      status: 'pass',
      test: 'minimum',
      lower: null,
      upper: null,
      confidence: null,
      n: null,
      controlN: null,
      needMore: null,
    };
    const s = gateScale(count);
    expect(s).toMatchObject({ lo: 0, hi: 400, evidence: 'count', band: null });
    expect(s.estimate).toEqual({ pct: 100, clipped: 'high' });
    expect(s.threshold.pct).toBe(25);
  });

  it('shows a point estimate without a band, and a gate with no data with neither', () => {
    const point = gateScale({ ...psi, test: 'point', value: 0.1, lower: null, upper: null, status: 'pass' });
    expect(point.evidence).toBe('point');
    expect(point.band).toBeNull();
    expect(point.estimate?.pct).toBeCloseTo(20);
    // Rows stored before gates were tests: no test, no bounds.
    const legacy = { gate: 'latencyP95Ms', value: 30, threshold: 80, bound: 'max', status: 'pass' } as const;
    expect(gateEvidence(legacy)).toBe('point');
    expect(gateScale(legacy)).toMatchObject({ lo: 0, hi: 160, band: null, evidence: 'point' });
    const none = gateScale({ ...psi, test: 'none', value: null, lower: null, upper: null, status: 'wait' });
    expect(none).toMatchObject({ evidence: 'none', estimate: null, band: null });
    expect(none.threshold.pct).toBe(50);
  });

  it('handles a min gate, a negative threshold and a zero threshold', () => {
    const agreement = gateScale({
      ...psi,
      gate: 'shadowAgreement',
      bound: 'min',
      threshold: 0.9,
      value: 0.95,
      lower: 0.91,
      upper: 0.98,
      test: 'clopper-pearson',
      status: 'pass',
    });
    expect(agreement).toMatchObject({ lo: 0, hi: 1.8 });
    expect(agreement.band!.fromPct).toBeGreaterThan(agreement.threshold.pct);
    const negative = gateScale({
      ...psi,
      threshold: -5,
      value: -7,
      lower: -8,
      upper: -6,
      test: 'normal-mean',
    });
    expect(negative).toMatchObject({ lo: -10, hi: 0 });
    expect(negative.threshold.pct).toBe(50);
    expect(negative.band!.toPct).toBeLessThan(negative.threshold.pct);
    const zero = gateScale({ ...psi, threshold: 0, value: 0, lower: 0, upper: 0 });
    expect(zero.hi).toBeGreaterThan(zero.lo);
    expect(zero.threshold.clipped).toBeNull();
  });

  it('describes the numbers for the title and aria-label', () => {
    expect(describeGate(psi)).toBe(
      'drift.psi.input.brightness: estimate 0.04, 99.994% interval 0 to 0.31, threshold ≤ 0.25',
    );
    expect(describeGate({ ...psi, upper: null })).toMatch(/interval 0 to ∞/);
    expect(describeGate({ ...psi, test: 'point', lower: null, upper: null })).toMatch(/point estimate/);
  });
});
