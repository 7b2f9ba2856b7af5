// The feedback path's cost on inference: the same session, the same image, with the path on (every prediction
// kept in predictions.db and, routed to review, its PNG in review-images.db) and off (`--max-predictions 0`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { OperatorFeedback } from '../src/feedback';
import { decodeImage } from '../src/image/decode';
import type { ModelSession } from '../src/runtime/model-session';
import { ServingEngine } from '../src/serving/engine';
import { TelemetryWindows } from '../src/telemetry/windows';

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * Prints `agent.feedback.overhead_ratio` (p50 with the path on / off, the latency a caller sees who waits for each
 * answer: the kept prediction is written after the answer, like the window statistics) and
 * `agent.feedback.with_deferred_overhead_ratio` (the same, with the work deferred past the answer timed in).
 * Calls alternate on/off, and which goes first flips every pair, so load on a shared box hits both alike.
 */
export async function feedbackOverhead(session: ModelSession, iters: number): Promise<void> {
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-feedback-'));
  const png = await sharp({ create: { width: 192, height: 48, channels: 3, background: '#7f7f7f' } })
    .png()
    .toBuffer();
  const image = await decodeImage(png);
  const make = (on: boolean) => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, logger);
    engine.switchTo({ active: session, shadow: null, standby: null });
    // Assist: every prediction goes to review, so every one keeps its image too (the path's worst case).
    engine.automation = { level: 'assist' };
    const feedback = on
      ? new OperatorFeedback(
          { dataDir: dir, ttlMs: 86_400_000, maxPredictions: 100_000, reviewImageBytes: 256 << 20 },
          windows,
          logger,
        )
      : null;
    if (feedback) engine.rememberPrediction = feedback.remember;
    return { windows, engine, feedback, answerMs: [] as number[], deferredMs: [] as number[] };
  };
  const on = make(true);
  const off = make(false);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const once = async (side: typeof on, timeDeferred: boolean) => {
    const t0 = performance.now();
    await side.engine.infer({ kind: 'image', image, encoded: png });
    if (timeDeferred) {
      side.windows.runDeferred();
      side.deferredMs.push(performance.now() - t0);
    } else {
      side.answerMs.push(performance.now() - t0);
    }
    await turn();
  };
  for (let i = 0; i < 20; i++) await once(i % 2 ? on : off, false);
  on.answerMs.length = 0;
  off.answerMs.length = 0;
  for (let i = 0; i < iters; i++) {
    const [first, second] = i % 2 ? [on, off] : [off, on];
    const timeDeferred = i % 4 >= 2;
    await once(first, timeDeferred);
    await once(second, timeDeferred);
  }
  if (on.feedback!.counters.reviewImages.kept === 0) throw new Error('the feedback path kept no image');
  const ratio = (a: number[], b: number[]) => (quantile(a, 0.5) / quantile(b, 0.5)).toFixed(3);
  console.log(`agent.feedback.on_p50_ms: ${quantile(on.answerMs, 0.5).toFixed(3)} ms`);
  console.log(`agent.feedback.off_p50_ms: ${quantile(off.answerMs, 0.5).toFixed(3)} ms`);
  console.log(`agent.feedback.overhead_ratio: ${ratio(on.answerMs, off.answerMs)}`);
  console.log(`agent.feedback.with_deferred_overhead_ratio: ${ratio(on.deferredMs, off.deferredMs)}`);
  console.log(`agent.feedback.kept_predictions: ${on.feedback!.counters.predictionsKept}`);
  on.feedback!.close();
  rmSync(dir, { recursive: true, force: true });
}
