import { describe, expect, it } from 'vitest';
import { Profile, type ProfileSpec, specHash } from '../profile';
import type { TelemetryReport } from '../protocol/telemetry';
import { mergeWindowReports } from './merge-reports';

const spec: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'brightness', edges: [0.2, 0.4, 0.6, 0.8] }],
  outputs: [{ name: 'confidence', edges: [0.5, 0.7, 0.9] }],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};

function report(seq: number, startMs: number, inferences: number, threads = 1): TelemetryReport {
  const p = new Profile(spec);
  for (let i = 0; i < inferences; i++) {
    p.observeInputs({ brightness: (i % 10) / 10 });
    p.observeOutputs({ confidence: 0.95 });
    p.observeClass('0');
    p.observeLatency('total', 1 + i);
  }
  return {
    v: 1,
    clientId: 'web-1',
    epoch: 1,
    seq,
    window: { startMs, endMs: startMs + 60_000 },
    model: { name: 'cls', version: '1.0.0' },
    role: 'active',
    specHash: specHash(spec),
    profile: p.toJSON() as TelemetryReport['profile'],
    runtime: { backend: 'wasm', threads },
    overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
  };
}

describe('mergeWindowReports', () => {
  it('merges adjacent windows into one spanning them, keeping every inference and the newest runtime', () => {
    const merged = mergeWindowReports(
      [report(1, 0, 3), report(2, 60_000, 4), report(3, 120_000, 5, 2)],
      spec,
    );
    expect(merged.ok).toBe(true);
    if (!merged.ok) return;
    expect(merged.value.inferences).toBe(12);
    expect(merged.value.window).toEqual({ startMs: 0, endMs: 180_000 });
    expect(merged.value.runtime).toEqual({ backend: 'wasm', threads: 2 });
    const whole = Profile.fromJSON(merged.value.profile, spec);
    expect(whole.ok && whole.value.inferences).toBe(12);
  });

  it('fails, never throws, on nothing, a foreign or hostile profile', () => {
    expect(mergeWindowReports([], spec).ok).toBe(false);
    const broken = { ...report(2, 60_000, 1), profile: { specHash: 'nope' } } as unknown as TelemetryReport;
    expect(mergeWindowReports([report(1, 0, 1), broken], spec).ok).toBe(false);
    expect(mergeWindowReports([broken], spec).ok).toBe(false);
    const hostile = report(2, 60_000, 1);
    Object.defineProperty(hostile, 'profile', {
      get() {
        throw new Error('boom');
      },
    });
    expect(mergeWindowReports([report(1, 0, 1), hostile], spec).ok).toBe(false);
    const other: ProfileSpec = { ...spec, classes: ['a', 'b', 'c'] };
    expect(mergeWindowReports([report(1, 0, 1)], other).ok).toBe(false);
  });
});
