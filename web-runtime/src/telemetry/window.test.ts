import { calibrationBin, type ProfileSpec, specHash } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { classifierTop, TelemetryWindow, tensorRange } from './window';

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
      top: classifierTop({ data: new Float32Array([0.9, 0.1]), dims: [1, 2] }),
      preprocessMs: 1,
      inferMs: 2,
      totalMs: 3,
    });
    w.observe({
      input,
      top: classifierTop({ data: new Float32Array([0.2, 0.8]), dims: [1, 2] }),
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

  it('counts observations taken off the answer’s path before anything reads the window', async () => {
    const w = new TelemetryWindow(spec, { name: 'cls', version: '1.0.0' }, { min: -1, max: 1 });
    const input = { data: new Float32Array(3 * 4 * 4).fill(0.5), dims: [1, 3, 4, 4], image: true };
    const top = classifierTop({ data: new Float32Array([0.9, 0.1]), dims: [1, 2] });
    const o = { input, top, route: 'auto' as const, preprocessMs: 1, inferMs: 2, totalMs: 3 };
    w.observeSoon(o);
    w.observeSoon(o);
    expect(w.isEmpty).toBe(false); // a read counts the pending ones at once
    expect(w.inferences).toBe(2);
    w.observeSoon(o);
    const label = { trueIndex: 0, predictedIndex: 0, route: 'auto' as const, confidence: top!.confidence };
    for (let i = 0; i < 3; i++) expect(w.countLabel(label)).toEqual({ ok: true });
    w.observeSoon(o);
    await new Promise((resolve) => setTimeout(resolve, 5)); // and a later task counts them unasked
    w.observeSoon(o);
    const report = w.close(
      { clientId: 'web-1', epoch: 1, seq: 1 },
      { backend: 'wasm', threads: 1 },
      {
        mergedWindows: 0,
        droppedReports: 0,
        droppedInferences: 0,
      },
    );
    expect(report?.profile.inferences).toBe(5);
    expect(report?.feedback?.labels.auto).toEqual({ labelled: 3, correct: 3 });
  });

  it('counts routes and labels into the report’s feedback, never more labels than inferences', () => {
    const w = new TelemetryWindow(spec, { name: 'cls', version: '1.0.0' }, { min: -1, max: 1 });
    const confidence = classifierTop({ data: new Float32Array([0.9, 0.1]), dims: [1, 2] })!.confidence;
    const label = { trueIndex: 1, predictedIndex: 0, route: 'review' as const, confidence };
    expect(w.countLabel(label)).toEqual({ ok: false, refusal: 'window_full' });
    const observe = (route: 'auto' | 'review') =>
      w.observe({
        top: classifierTop({ data: new Float32Array([0.9, 0.1]), dims: [1, 2] }),
        route,
        preprocessMs: 0,
        inferMs: 1,
        totalMs: 1,
      });
    observe('review');
    observe('auto');
    expect(w.countLabel(label)).toEqual({ ok: true });
    expect(w.countLabel({ ...label, trueIndex: 0, route: 'auto' })).toEqual({ ok: true });
    expect(w.countLabel(label)).toEqual({ ok: false, refusal: 'window_full' });
    const ids = { clientId: 'web-1', epoch: 0, seq: 1 };
    const report = w.close(
      ids,
      { backend: 'wasm', threads: 1 },
      { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
    );
    expect(report?.feedback).toMatchObject({
      classes: ['0', '180'],
      counts: [
        [1, 0],
        [1, 0],
      ],
      labels: { auto: { labelled: 1, correct: 1 }, review: { labelled: 1, correct: 0 } },
      routed: { auto: 1, review: 1 },
    });
    // Both answers had the same confidence: the label-free calibration bins count them in its bin.
    const bin = calibrationBin(
      classifierTop({ data: new Float32Array([0.9, 0.1]), dims: [1, 2] })!.confidence,
    )!;
    expect(report?.feedback?.calibration?.routed[bin]).toBe(2);
    expect(report?.feedback?.calibration?.labelled[bin]).toBe(2);
    // The next window starts without labels or routes.
    observe('auto');
    const next = w.close(
      { ...ids, seq: 2 },
      { backend: 'wasm', threads: 1 },
      { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
    );
    expect(next?.feedback?.routed).toEqual({ auto: 1, review: 0 });
    expect(next?.feedback?.labels.review.labelled).toBe(0);
  });

  it('keeps no feedback for a version whose spec names no classes', () => {
    const w = new TelemetryWindow(
      { ...spec, classes: undefined },
      { name: 'm', version: '1' },
      { min: 0, max: 1 },
    );
    w.observe({ top: undefined, route: 'auto', preprocessMs: 0, inferMs: 1, totalMs: 1 });
    expect(w.classes).toBeUndefined();
    expect(w.countLabel({ trueIndex: 0, predictedIndex: 0, route: 'auto' }).ok).toBe(false);
    const report = w.close(
      { clientId: 'c', epoch: 0, seq: 1 },
      { backend: 'wasm', threads: 1 },
      { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
    );
    expect(report?.feedback).toBeUndefined();
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
