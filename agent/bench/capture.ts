// The data capture's cost on inference: the same session and images, with a capture policy on (rules decided on
// every inference, the chosen samples hashed, admitted and written to capture.db after the answer) and off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CapturePolicy } from '@edgefleet/shared/capture';
import pino from 'pino';
import { createCapture } from '../src/capture';
import { seededRandom, variedPng } from '../src/capture/testing';
import { decodeImage } from '../src/image/decode';
import type { ModelSession } from '../src/runtime/model-session';
import { ServingEngine } from '../src/serving/engine';
import { TelemetryWindows } from '../src/telemetry/windows';

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * Prints `agent.capture.overhead_ratio`: inference p50 (the latency a caller who waits for each answer sees) with
 * a capture policy on / off. Calls alternate on/off, which goes first flips every pair. The policy captures about
 * a quarter of the inferences (low confidence < 0.9 and a 10 % random sample) within a budget that never runs out.
 */
export async function captureOverhead(session: ModelSession, iters: number): Promise<void> {
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-capture-'));
  const policy: CapturePolicy = {
    lowConfidence: { below: 0.9 },
    random: { rate: 0.1 },
    budget: { maxSamplesPerDay: 100_000, maxBytesPerDay: 1 << 30 },
    clientRetentionDays: 7,
  };
  const images = await Promise.all(
    Array.from({ length: 256 }, async (_, i) => {
      const png = await variedPng(i);
      return { png, image: await decodeImage(png) };
    }),
  );
  const capture = createCapture({
    dataDir: dir,
    clientId: 'bench',
    policy: () => policy,
    queueMaxBytes: 1 << 30,
    logger,
    random: seededRandom(1),
  });
  const make = (on: boolean) => {
    const engine = new ServingEngine(new TelemetryWindows(), logger);
    engine.switchTo({ active: session, shadow: null, standby: null });
    if (on) engine.observeInference = capture.rules.observeInference;
    return { engine, ms: [] as number[] };
  };
  const on = make(true);
  const off = make(false);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const once = async (side: typeof on, i: number) => {
    const { png, image } = images[i % images.length]!;
    const t0 = performance.now();
    await side.engine.infer({ kind: 'image', image, encoded: png });
    side.ms.push(performance.now() - t0);
    await turn();
  };
  for (let i = 0; i < 20; i++) await once(i % 2 ? on : off, i);
  on.ms.length = 0;
  off.ms.length = 0;
  for (let i = 0; i < iters; i++) {
    const [first, second] = i % 2 ? [on, off] : [off, on];
    await once(first, i);
    await once(second, i);
  }
  await capture.close();
  const counters = capture.counters();
  const captured = Object.values(counters.captured).reduce((a, n) => a + n, 0);
  if (counters.queue.samples === 0) throw new Error('the capture stored no sample');
  console.log(`agent.capture.on_p50_ms: ${quantile(on.ms, 0.5).toFixed(3)} ms`);
  console.log(`agent.capture.off_p50_ms: ${quantile(off.ms, 0.5).toFixed(3)} ms`);
  console.log(`agent.capture.overhead_ratio: ${(quantile(on.ms, 0.5) / quantile(off.ms, 0.5)).toFixed(3)}`);
  console.log(
    `agent.capture.samples_queued: ${counters.queue.samples} (${captured} reasons over ${iters} inferences)`,
  );
  rmSync(dir, { recursive: true, force: true });
}
