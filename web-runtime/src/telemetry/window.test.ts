import { type ProfileSpec, specHash } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { TelemetryWindow, tensorRange } from './window';

const spec: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'brightness', edges: [0.2, 0.4, 0.6, 0.8] }],
  outputs: [{ name: 'confidence', edges: [0.5, 0.7, 0.9] }],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};

describe('TelemetryWindow', () => {
  it('turns inferences into one report with ids, window and runtime, then starts afresh', () => {
    let now = 1_000;
    const w = new TelemetryWindow(spec, { name: 'cls', version: '1.0.0' }, { min: -1, max: 1 }, () => now);
    const input = { data: new Float32Array(3 * 4 * 4).fill(0.5), dims: [1, 3, 4, 4], image: true };
    w.observe({
      input,
      output: { data: new Float32Array([0.9, 0.1]), dims: [1, 2] },
      preprocessMs: 1,
      inferMs: 2,
      totalMs: 3,
    });
    w.observe({
      input,
      output: { data: new Float32Array([0.2, 0.8]), dims: [1, 2] },
      preprocessMs: 1,
      inferMs: 2,
      totalMs: 3,
    });
    now = 61_000;
    const overflow = { mergedWindows: 0, droppedReports: 1, droppedInferences: 7 };
    const report = w.close(
      { clientId: 'web-1', epoch: 2, seq: 5 },
      { backend: 'wasm', threads: 1 },
      overflow,
    );
    expect(report).toMatchObject({
      clientId: 'web-1',
      epoch: 2,
      seq: 5,
      window: { startMs: 1_000, endMs: 61_000 },
      model: { name: 'cls', version: '1.0.0' },
      specHash: specHash(spec),
      overflow,
    });
    expect(report?.profile.inferences).toBe(2);
    expect(
      w.close({ clientId: 'web-1', epoch: 2, seq: 6 }, { backend: 'wasm', threads: 1 }, overflow),
    ).toBeUndefined();
  });

  it('derives the tensor range from the preprocessing spec', () => {
    const image = {
      kind: 'image' as const,
      layout: 'NCHW' as const,
      width: 4,
      height: 4,
      resize: 'stretch' as const,
      channelOrder: 'RGB' as const,
      scale: 1 / 255,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      dtype: 'float32' as const,
    };
    expect(tensorRange(image)).toEqual({ min: -1, max: 1 });
    expect(tensorRange({ kind: 'tensor', dtype: 'float32' })).toEqual({ min: 0, max: 1 });
  });
});
