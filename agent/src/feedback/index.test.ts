import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALIBRATION_BINS, calibrationBin } from '@edgefleet/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSession } from '../runtime/model-session';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { OperatorFeedback } from '.';

// Calibration bin counts holding `confidences`.
const binned = (...confidences: number[]) => {
  const bins = Array.from({ length: CALIBRATION_BINS }, () => 0);
  for (const c of confidences) bins[calibrationBin(c)!]!++;
  return bins;
};

describe('OperatorFeedback with the engine (real cls model, real SQLite)', () => {
  let session: ModelSession;
  let dir: string;
  beforeAll(async () => {
    session = await loadCls('1.0.0');
    dir = mkdtempSync(join(tmpdir(), 'ef-feedback-'));
  });
  afterAll(async () => {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a label sent before the answer’s deferred work ran, once, into the window of its version', async () => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    const feedback = new OperatorFeedback(
      { dataDir: dir, ttlMs: 60_000, maxPredictions: 100 },
      windows,
      pino({ level: 'silent' }),
    );
    engine.rememberPrediction = feedback.remember;
    engine.automation = { level: 'partial', minConfidence: 1.01, minMargin: 0 };
    engine.switchTo({ active: session, shadow: null, standby: null });
    const tensor = {
      data: new Float32Array(3 * 48 * 192).fill(0.25),
      dims: [1, 3, 48, 192],
      dtype: 'float32' as const,
    };
    const first = await engine.infer({ kind: 'tensor', tensor });
    // No tick between the answer and the label.
    expect(first.decision.route).toBe('review');
    const wrong = first.top!.label === '0' ? '180' : '0';
    expect(feedback.submit(first.predictionId, wrong)).toEqual({
      predictionId: first.predictionId,
      counted: true,
    });
    expect(() => feedback.submit(first.predictionId, wrong)).toThrow(/already has a label/);
    const [draft] = windows.close();
    const t = Number(wrong === '180');
    const expected = [
      [0, 0],
      [0, 0],
    ];
    expected[t]![first.top!.index]! = 1;
    expect(draft!.feedback).toEqual({
      classes: ['0', '180'],
      counts: expected,
      labels: { auto: { labelled: 0, correct: 0 }, review: { labelled: 1, correct: 0 } },
      routed: { auto: 0, review: 1 },
      // The answer's confidence, in its bin: once as served, once as labelled (wrong).
      calibration: expect.objectContaining({
        routed: binned(first.top!.confidence),
        labelled: binned(first.top!.confidence),
        correct: binned(),
      }),
    });
    expect(feedback.counters).toMatchObject({
      predictionsKept: 1,
      labelsCounted: 1,
      refused: { duplicate_label: 1 },
    });
    feedback.close();
  });
});
