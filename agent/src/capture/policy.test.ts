import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CapturePolicy, type SampleMeta, sampleMetaSchema } from '@edgefleet/shared/capture';
import Database from 'better-sqlite3';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../image/decode';
import type { ModelSession } from '../runtime/model-session';
import type { AgentTensor } from '../runtime/tensor';
import type { ObservedInference } from '../serving/engine';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { createCapture } from '.';
import { seededRandom, variedPng } from './testing';

const logger = pino({ level: 'silent' });
const budget = { maxSamplesPerDay: 100_000, maxBytesPerDay: 1 << 30 };

interface Seen {
  predictionId: string;
  confidence: number;
  margin: number;
  features: Record<string, number>;
}

/** Runs `images` through the real engine with `policy`; returns what each inference saw and the queued samples. */
async function run(
  session: ModelSession,
  images: (Uint8Array | AgentTensor)[],
  policy: CapturePolicy,
  random = Math.random,
) {
  const dir = mkdtempSync(join(tmpdir(), 'ef-capture-rules-'));
  const engine = new ServingEngine(new TelemetryWindows(), logger);
  engine.switchTo({ active: session, shadow: null, standby: null });
  const capture = createCapture({
    dataDir: dir,
    clientId: 'dev-1',
    policy: () => policy,
    queueMaxBytes: 1 << 30,
    logger,
    random,
  });
  const seen: Seen[] = [];
  engine.observeInference = (inference: ObservedInference) => {
    seen.push({
      predictionId: inference.predictionId,
      confidence: inference.top!.confidence,
      margin: inference.top!.margin,
      features: { ...inference.features },
    });
    capture.rules.observeInference(inference);
  };
  for (const input of images) {
    if (input instanceof Uint8Array)
      await engine.infer({ kind: 'image', image: await decodeImage(input), encoded: input });
    else await engine.infer({ kind: 'tensor', tensor: input });
    await new Promise((r) => setImmediate(r));
    // The caller may reuse its tensor from here on: capture kept a copy.
    if (!(input instanceof Uint8Array)) (input.data as Float32Array).fill(0);
  }
  await capture.close();
  const db = new Database(join(dir, 'capture.db'), { readonly: true });
  const rows = db.prepare('SELECT meta, content FROM samples').all() as { meta: string; content: Buffer }[];
  db.close();
  rmSync(dir, { recursive: true, force: true });
  const samples = rows.map((r) => ({ meta: JSON.parse(r.meta) as SampleMeta, content: r.content }));
  return { seen, samples, counters: capture.counters() };
}

describe('capture rules on the real cls model and real images', () => {
  let session: ModelSession;
  let images: Uint8Array[];
  beforeAll(async () => {
    session = await loadCls('1.0.0');
    images = await Promise.all(Array.from({ length: 120 }, (_, i) => variedPng(i)));
  });
  afterAll(() => session.release());

  it('low confidence captures exactly the inferences whose confidence is below τ, and nothing else', async () => {
    const tau = 0.9;
    const { seen, samples, counters } = await run(session, images, {
      lowConfidence: { below: tau },
      budget,
      clientRetentionDays: 7,
    });
    const expected = seen.filter((s) => s.confidence < tau).map((s) => s.predictionId);
    // The images span both sides of τ, or the test could not fail.
    expect(expected.length).toBeGreaterThan(5);
    expect(seen.length - expected.length).toBeGreaterThan(5);
    expect(samples.map((s) => s.meta.predictionId).sort()).toEqual([...expected].sort());
    for (const s of samples) {
      expect(s.meta.reasons).toEqual(['low_confidence']);
      expect(s.meta.top![0]!.confidence).toBeLessThan(tau);
      expect(s.meta.contentType).toBe('image/png');
      expect(s.meta.sizeBytes).toBe(s.content.length);
    }
    expect(counters.captured.low_confidence).toBe(expected.length);
    expect(counters.captured.random + counters.captured.low_margin + counters.captured.out_of_range).toBe(0);
    // Stored as received: the bytes of the image inferred.
    const byId = new Map(seen.map((s, i) => [s.predictionId, images[i]!]));
    for (const s of samples)
      expect(Buffer.compare(s.content, Buffer.from(byId.get(s.meta.predictionId!)!))).toBe(0);
  });

  it('low margin and out-of-range fire on their own conditions only', async () => {
    const mu = 0.6;
    const { seen, samples } = await run(session, images, {
      lowMargin: { below: mu },
      outOfRange: { features: ['sharpness'] },
      budget,
      clientRetentionDays: 7,
    });
    const out = (s: Seen) => {
      const b = s.features.sharpness;
      return b !== undefined && (b < -1 || b > 1); // the test spec's edges: [-1 … 1]
    };
    const byId = new Map(samples.map((s) => [s.meta.predictionId, s.meta.reasons]));
    // Each rule fires on some inferences and not on others here, or the test could not fail.
    expect(new Set(seen.map(out)).size).toBe(2);
    expect(new Set(seen.map((s) => s.margin < mu)).size).toBe(2);
    let both = 0;
    for (const s of seen) {
      const reasons = [...(s.margin < mu ? ['low_margin'] : []), ...(out(s) ? ['out_of_range'] : [])];
      expect(byId.get(s.predictionId) ?? []).toEqual(reasons);
      if (reasons.length > 0) both++;
    }
    expect(both).toBeGreaterThan(0);
    expect(samples.length).toBe(both);
  });

  it('draws the random ε-sample at its rate (seeded; within a stated binomial bound)', async () => {
    const rate = 0.2;
    const { seen, samples, counters } = await run(
      session,
      images,
      { random: { rate }, budget, clientRetentionDays: 7 },
      seededRandom(7),
    );
    // Binomial(120, 0.2): mean 24, sd ≈ 4.4; ± 4 sd (a false failure rate under 1e-4 for any seed).
    expect(Math.abs(samples.length - seen.length * rate)).toBeLessThan(
      4 * Math.sqrt(seen.length * rate * (1 - rate)),
    );
    expect(counters.captured.random).toBe(samples.length);
    for (const s of samples) expect(s.meta.reasons).toEqual(['random']);
  });

  it('downscales to maxSidePx and refuses beyond the daily budget (counted)', async () => {
    const { samples, counters } = await run(session, images.slice(0, 30), {
      random: { rate: 1 },
      budget: { maxSamplesPerDay: 10, maxBytesPerDay: 1 << 30 },
      clientRetentionDays: 7,
      maxSidePx: 64,
    });
    expect(samples.length).toBe(10);
    expect(counters.refused.samples).toBe(20);
    for (const s of samples) {
      const meta = await sharp(s.content).metadata();
      expect(Math.max(meta.width!, meta.height!)).toBe(64);
      expect({ width: s.meta.width, height: s.meta.height }).toEqual({
        width: meta.width,
        height: meta.height,
      });
    }
  });

  it('captures tensor inputs as their raw little-endian bytes (application/octet-stream), copied at the call', async () => {
    const tensors: AgentTensor[] = Array.from({ length: 6 }, (_, i) => ({
      data: Float32Array.from({ length: 3 * 48 * 192 }, (_, k) => Math.sin(k * (i + 1) * 0.01)),
      dims: [1, 3, 48, 192],
      dtype: 'float32',
    }));
    const expected = tensors.map((t) => Buffer.from(new Uint8Array((t.data as Float32Array).slice().buffer)));
    const { seen, samples, counters } = await run(session, tensors, {
      random: { rate: 1 },
      budget,
      clientRetentionDays: 7,
      maxSidePx: 64, // images only: a tensor is never resized
    });
    expect(samples).toHaveLength(6);
    expect(counters.captured.random).toBe(6);
    const byId = new Map(seen.map((s, i) => [s.predictionId, expected[i]!]));
    for (const s of samples) {
      expect(s.meta).toMatchObject({ contentType: 'application/octet-stream', sizeBytes: 3 * 48 * 192 * 4 });
      expect(s.meta.width).toBeUndefined();
      expect(sampleMetaSchema.safeParse(s.meta).success).toBe(true);
      expect(s.meta.sha256).toBe(createHash('sha256').update(s.content).digest('hex'));
      // The bytes the model got, not the zeros the caller wrote afterwards.
      expect(Buffer.compare(s.content, byId.get(s.meta.predictionId!)!)).toBe(0);
    }
  });

  it('captures nothing without a policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-capture-off-'));
    const capture = createCapture({
      dataDir: dir,
      clientId: 'd',
      policy: () => undefined,
      queueMaxBytes: 1 << 20,
      logger,
    });
    const engine = new ServingEngine(new TelemetryWindows(), logger);
    engine.switchTo({ active: session, shadow: null, standby: null });
    engine.observeInference = capture.rules.observeInference;
    for (const png of images.slice(0, 10))
      await engine.infer({ kind: 'image', image: await decodeImage(png), encoded: png });
    await new Promise((r) => setImmediate(r));
    await capture.close();
    expect(capture.counters().queue.samples).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
