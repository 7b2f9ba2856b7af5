// Sample capture in the browser: each policy of the app plan captures what it should and nothing else, and the
// daily budget holds (totals, per-class quotas, bytes), refusals counted. Real fleet server, real Chromium (WASM),
// real PaddleOCR cls model; the uploads are read at the browser's network edge.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserFleet } from './assets';
import {
  BUDGET,
  brightness,
  byPrediction,
  captureStatus,
  drained,
  images,
  inferAll,
  open,
  policy,
  publish,
  shared,
  start,
} from './capture-page';
import { clsModelBytes } from './fleet';
import type { sampleSink } from './sample-sink';

beforeAll(async () => {
  shared.env = await startBrowserFleet({ webgpu: false });
  shared.fleet = shared.env.fleet;
  shared.ref = await shared.fleet.register('1.0.0', clsModelBytes());
}, 120_000);

afterAll(async () => {
  await shared.env?.close();
});

describe('capture policies (real Chromium, WASM, PaddleOCR cls)', () => {
  let context: BrowserContext;
  let page: Page;
  let sink: Awaited<ReturnType<typeof sampleSink>>;

  beforeAll(async () => {
    await publish(undefined);
    ({ context, page, sink } = await open());
    await start(page);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
  });

  it('captures nothing, and loads no capture code, while the plan has no policy', async () => {
    const answers = await inferAll(page, images(1, 6));
    expect(answers).toHaveLength(6);
    expect(await captureStatus(page)).toBeUndefined();
    expect(sink.uploads).toEqual([]);
  });

  it('low confidence and low margin: exactly the inferences under τ / μ, with their metadata', async () => {
    // τ and μ from what the model answers on these images, so both sides of each threshold are taken.
    const probe = await inferAll(page, images(100, 12));
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const tau = sorted(probe.map((a) => a.top.confidence))[6]!;
    const mu = sorted(probe.map((a) => a.top.margin))[3]!;
    await publish(page, policy({ lowConfidence: { below: tau }, lowMargin: { below: mu } }));
    const answers = await inferAll(page, images(200, 12));
    const expected = new Map<string, string[]>();
    for (const a of answers) {
      const reasons = [
        ...(a.top.confidence < tau ? ['low_confidence'] : []),
        ...(a.top.margin < mu ? ['low_margin'] : []),
      ];
      if (reasons.length) expected.set(a.predictionId, reasons);
    }
    expect(expected.size).toBeGreaterThan(0);
    expect(expected.size).toBeLessThan(answers.length);
    const status = await drained(page);
    const got = byPrediction(sink.uploads);
    expect(new Map([...got].map(([id, m]) => [id, m.reasons]))).toEqual(expected);
    for (const u of sink.uploads) {
      const answer = answers.find((a) => a.predictionId === u.meta.predictionId)!;
      expect(u.hashOk).toBe(true);
      expect(u.contentType).toBe('image/jpeg');
      expect(u.meta.model).toEqual({ name: 'cls', version: '1.0.0' });
      expect(Math.max(u.meta.width!, u.meta.height!)).toBeLessThanOrEqual(64);
      expect(u.meta.top).toEqual([{ label: answer.top.label, confidence: answer.top.confidence }]);
      expect(u.meta.features?.brightness).toBeTypeOf('number');
    }
    // Counted by reason: a sample with both reasons counts under both.
    const withReason = (r: string) => [...expected.values()].filter((x) => x.includes(r)).length;
    expect(status).toMatchObject({
      captured: {
        low_confidence: withReason('low_confidence'),
        low_margin: withReason('low_margin'),
        random: 0,
      },
      uploaded: expected.size,
      queue: { samples: 0, bytes: 0 },
    });
  });

  it('out of range: the images whose brightness leaves the baseline range, and only those', async () => {
    const before = sink.uploads.length;
    await publish(page, policy({ outOfRange: { features: ['brightness'] } }));
    const list = [...images(300, 4, 1), ...images(400, 3, 0.05), ...images(500, 3, 0.6)];
    const answers = await inferAll(page, list);
    const expected = new Set(
      answers
        .filter((_, i) => {
          const b = brightness(list[i]!);
          return b < 0.2 || b > 0.8;
        })
        .map((a) => a.predictionId),
    );
    expect(expected.size).toBeGreaterThanOrEqual(3);
    expect(expected.size).toBeLessThan(list.length);
    await drained(page);
    const got = sink.uploads.slice(before);
    expect(new Set(got.map((u) => u.meta.predictionId))).toEqual(expected);
    for (const u of got) {
      expect(u.meta.reasons).toEqual(['out_of_range']);
      const b = u.meta.features!.brightness!;
      expect(b < 0.2 || b > 0.8).toBe(true);
    }
  });

  it('random rate 1 takes every inference, rate 0 none; a withdrawn policy stops capture', async () => {
    let before = sink.uploads.length;
    await publish(page, policy({ random: { rate: 1 } }));
    const all = await inferAll(page, images(600, 5));
    await drained(page);
    expect(sink.uploads.slice(before).map((u) => u.meta.predictionId)).toEqual(
      all.map((a) => a.predictionId),
    );
    before = sink.uploads.length;
    await publish(page, policy({ random: { rate: 0 } }));
    await inferAll(page, images(700, 5));
    await publish(page, undefined);
    await inferAll(page, images(800, 5));
    await drained(page);
    expect(sink.uploads.length).toBe(before);
  });

  it('disagreement: a label that differs from the prediction captures the kept input with the label', async () => {
    const before = sink.uploads.length;
    await publish(page, policy({ disagreement: true }));
    const answers = await inferAll(page, images(900, 6));
    const other = (l: string) => (l === '0' ? '180' : '0');
    const labels = answers.map((a, i) => ({
      id: a.predictionId,
      label: i % 2 ? other(a.top.label) : a.top.label,
    }));
    await page.evaluate(async (labels) => {
      for (const { id, label } of labels) await window.ef.runtime!.feedback(id, label);
    }, labels);
    await drained(page);
    const got = sink.uploads.slice(before);
    const disagreeing = labels.filter((_, i) => i % 2);
    expect(new Map(got.map((u) => [u.meta.predictionId, [u.meta.reasons, u.meta.label]]))).toEqual(
      new Map(disagreeing.map((l) => [l.id, [['disagreement'], l.label]])),
    );
  });
});

describe('budget', () => {
  it('holds per day: total samples, and per-class quotas; refusals are counted', async () => {
    await publish(undefined, policy({ random: { rate: 1 }, budget: { ...BUDGET, maxSamplesPerDay: 3 } }));
    const a = await open();
    await start(a.page);
    await inferAll(a.page, images(1000, 10));
    const status = await drained(a.page);
    expect(a.sink.delivered().size).toBe(3);
    expect(status).toMatchObject({
      captured: { random: 3 },
      uploaded: 3,
      refused: { samples: 7, bytes: 0, class_quota: 0 },
    });
    await a.context.close();

    // Per-class quotas: order-independent, min(quota, inferences of the class) per class.
    await publish(
      undefined,
      policy({ random: { rate: 1 }, budget: { ...BUDGET, classQuotas: { '0': 2, '180': 1 } } }),
    );
    const b = await open();
    await start(b.page);
    const answers = await inferAll(b.page, images(1100, 10));
    const perClass = (l: string) => answers.filter((x) => x.top.label === l).length;
    const admitted = Math.min(2, perClass('0')) + Math.min(1, perClass('180'));
    const quotaStatus = await drained(b.page);
    expect(b.sink.delivered().size).toBe(admitted);
    expect(quotaStatus.refused.class_quota).toBe(10 - admitted);
    await b.context.close();

    // Bytes: the admitted samples' sizes never pass the day's byte budget.
    await publish(undefined, policy({ random: { rate: 1 }, budget: { ...BUDGET, maxBytesPerDay: 4_000 } }));
    const c = await open();
    await start(c.page);
    await inferAll(c.page, images(1200, 10));
    const bytesStatus = await drained(c.page);
    const sent = c.sink.uploads.reduce((s, u) => s + u.sizeBytes, 0);
    expect(sent).toBeLessThanOrEqual(4_000);
    expect(bytesStatus.refused.bytes).toBeGreaterThan(0);
    expect(bytesStatus.captured.random + bytesStatus.refused.bytes).toBe(10);
    await c.context.close();
  }, 120_000);
});
