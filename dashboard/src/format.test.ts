import { describe, expect, it } from 'vitest';
import { driftColor } from './components/heatmap';
import {
  formatAgo,
  formatBytes,
  formatConfidence,
  formatDuration,
  formatNumber,
  formatPercent,
} from './format';
import { FIRST_DEPLOYMENT, toCreateBody } from './pages/rollout-form';
import { gateNeeds, gateTone, stageTimes } from './pages/rollout-sections';
import { trimEmptyEnds } from './pages/rollout-telemetry';
import { stepOf } from './steps';

describe('formatting', () => {
  it('formats numbers, shares, durations and sizes, with a dash for what is not a number', () => {
    expect(formatNumber(13888)).toBe('13,888');
    expect(formatNumber(0.009921)).toBe('0.00992');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(null)).toBe('—');
    expect(formatPercent(0.0066, 2)).toBe('0.66%');
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(90_000)).toBe('1m 30s');
    expect(formatAgo(null)).toBe('never');
    expect(formatAgo(1_000, 1_000)).toBe('just now');
    expect(formatBytes(578_970)).toBe('565.4 KiB');
  });
});

describe('dashboard decisions', () => {
  it('colours drift green, amber and red at the PSI and JS levels', () => {
    expect(driftColor(0.05, 'psi')).toMatch(/^hsl\(145/);
    expect(driftColor(0.15, 'psi')).toMatch(/^hsl\(40/);
    expect(driftColor(3.5, 'psi')).toMatch(/^hsl\(4 /);
    expect(driftColor(0.15, 'js')).toMatch(/^hsl\(40/);
    expect(driftColor(null, 'psi')).toBe('var(--cell-empty)');
    expect(driftColor(Number.NaN, 'js')).toBe('var(--cell-empty)');
  });

  it('tones gates: breach red, waiting and inconclusive amber, a pass green (amber only near on a point estimate)', () => {
    const gate = { gate: 'latency.p95Ms', threshold: 40, bound: 'max' as const };
    const tested = { ...gate, test: 'order-statistic' as const, confidence: 0.999, n: 500, controlN: null };
    expect(gateTone({ ...gate, value: 50, status: 'breach' })).toBe('bad');
    expect(gateTone({ ...gate, value: null, status: 'wait' })).toBe('warn');
    expect(
      gateTone({ ...tested, value: 30, lower: 20, upper: 45, status: 'inconclusive', needMore: 900 }),
    ).toBe('warn');
    // A pass shown by its interval is green even close to the threshold; on a point estimate it stays amber there.
    expect(gateTone({ ...tested, value: 39, lower: 38, upper: 39.5, status: 'pass' })).toBe('ok');
    expect(gateTone({ ...gate, value: 39, status: 'pass' })).toBe('warn');
    expect(gateTone({ ...gate, test: 'point', value: 39, lower: null, upper: null, status: 'pass' })).toBe(
      'warn',
    );
    expect(gateTone({ ...gate, value: 10, status: 'pass' })).toBe('ok');
    expect(
      gateTone({
        gate: 'minInferences',
        threshold: 100,
        bound: 'min',
        value: 110,
        status: 'pass',
        test: 'minimum',
      }),
    ).toBe('ok');
  });

  it('says what an inconclusive gate needs, and a stage its minimum and deadline', () => {
    const gate = { gate: 'maxErrorRate', threshold: 0.02, bound: 'max' as const, value: 0.015 };
    expect(gateNeeds({ ...gate, status: 'inconclusive', needMore: 1234 })).toBe(
      'needs ≈ 1,234 more inferences',
    );
    expect(gateNeeds({ ...gate, status: 'inconclusive', needMore: null })).toBe(
      'more data alone will not decide',
    );
    expect(gateNeeds({ ...gate, status: 'pass', needMore: null })).toBeNull();
    expect(stageTimes({ minDurationMs: 30 * 60_000, maxDurationMs: 2 * 3_600_000 })).toBe(
      '≥ 30m, decide by 2h',
    );
    expect(stageTimes({ minDurationMs: 30 * 60_000, maxDurationMs: null })).toBe('≥ 30m');
    expect(stageTimes({ minDurationMs: 0, maxDurationMs: 3_600_000 })).toBe('no minimum time, decide by 1h');
    expect(formatConfidence(0.99)).toBe('99%');
    expect(formatConfidence(0.995)).toBe('99.5%');
    expect(formatConfidence(0.99994)).toBe('99.994%');
    expect(formatConfidence(0.9999999)).toBe('99.99999%');
    expect(formatConfidence(1)).toBe('100%');
  });

  it('asks for about 60 steps in whole seconds, minutes or hours (what the server accepts)', () => {
    expect(stepOf(3_600_000)).toBe(60_000);
    expect(stepOf(6 * 3_600_000)).toBe(360_000);
    expect(stepOf(7 * 24 * 3_600_000) % 3_600_000).toBe(0);
    expect(stepOf(90_000, 40, 1_000)).toBe(2_000);
    expect(stepOf(10, 40, 1_000)).toBe(1_000);
    expect(stepOf(3_000_000, 40, 1_000)).toBe(60_000);
  });

  it('turns the rollout form into the API body and names a field that is not a number', () => {
    const form = {
      model: 'cls',
      candidate: '2.0.0',
      baseline: '',
      targetKind: 'devices' as const,
      target: 'st-1, st-2\nst-3',
      strategy: 'canary',
      stages: ' 5%:30m,100% ',
      minReportingTargets: '2',
      minInferences: '100',
      onBreach: 'pause' as const,
      gates: { maxPsi: '0.2', latencyP95Ms: '' },
    };
    expect(toCreateBody(form)).toEqual({
      model: 'cls',
      candidate: '2.0.0',
      target: { devices: ['st-1', 'st-2', 'st-3'] },
      strategy: 'canary',
      stages: '5%:30m,100%',
      minReportingTargets: 2,
      minInferences: 100,
      gates: { maxPsi: 0.2 },
      onBreach: 'pause',
    });
    expect(() => toCreateBody({ ...form, gates: { maxPsi: '0.2x' } })).toThrow(/maxPsi: expected a number/);
    expect(() => toCreateBody({ ...form, minInferences: '' })).toThrow(/minInferences/);
    // A named baseline is sent as is; '' (auto) is left out.
    expect(toCreateBody({ ...form, baseline: '1.0.0' }).baseline).toBe('1.0.0');
    expect('baseline' in toCreateBody(form)).toBe(false);
  });

  it('sends a first deployment as baseline null, without the gates relative to a baseline', () => {
    const body = toCreateBody({
      model: 'orient',
      candidate: '1.0.0',
      baseline: FIRST_DEPLOYMENT,
      targetKind: 'app',
      target: ' shop ',
      strategy: 'all-at-once',
      stages: '',
      minReportingTargets: '0',
      minInferences: '0',
      onBreach: 'rollback',
      gates: { maxErrorRate: '0.05', latencyP95Ratio: '1.3', minShadowAgreement: '0.9' },
    });
    expect(body).toEqual({
      model: 'orient',
      candidate: '1.0.0',
      baseline: null,
      target: { app: 'shop' },
      strategy: 'all-at-once',
      minReportingTargets: 0,
      minInferences: 0,
      gates: { maxErrorRate: 0.05 },
      onBreach: 'rollback',
    });
  });
});

describe('rollout telemetry', () => {
  const point = (t: number, reports: number) => ({
    t,
    reports,
    inferences: reports * 10,
    errors: 0,
    errorRate: null,
    latencyMs: null,
    drift: null,
    classMix: null,
    confidence: null,
  });

  it('trims empty steps at both ends of candidate and baseline together', () => {
    const candidate = [point(0, 0), point(1, 0), point(2, 1), point(3, 0)];
    const baseline = [point(0, 0), point(1, 2), point(2, 0), point(3, 0)];
    const trimmed = trimEmptyEnds(candidate, baseline);
    expect(trimmed.candidate.map((p) => p.t)).toEqual([1, 2]);
    expect(trimmed.baseline?.map((p) => p.t)).toEqual([1, 2]);
  });

  it('trims by the candidate alone in a first deployment (no baseline series)', () => {
    const candidate = [point(0, 0), point(1, 3), point(2, 0), point(3, 1), point(4, 0)];
    const trimmed = trimEmptyEnds(candidate, null);
    expect(trimmed.candidate.map((p) => p.t)).toEqual([1, 2, 3]);
    expect(trimmed.baseline).toBeNull();
    expect(trimEmptyEnds([point(0, 0)], null).candidate).toEqual([]); // no report at all: nothing to draw
    expect(trimEmptyEnds([], null)).toEqual({ candidate: [], baseline: null });
  });
});
