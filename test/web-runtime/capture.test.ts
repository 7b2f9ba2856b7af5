// Sample capture in the browser: each policy of the app plan captures what it should and nothing else, the daily
// budget holds, a capture made offline is uploaded exactly once after a reload, telemetry is not delayed behind a
// sample backlog, and the server's refusals are dropped and counted while "later" answers are retried. Real fleet
// server, real Chromium (WASM), real PaddleOCR cls model; the uploads are read at the browser's network edge.

import { imageFeatures, type RawImage } from '@edgefleet/shared';
import type { CapturePolicy, SampleMeta } from '@edgefleet/shared/capture';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensorRange } from '../../web-runtime/src/telemetry/window';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { CLS_PREPROCESSING, clsModelBytes, type Fleet } from './fleet';
import { nodeTensor, testImage } from './reference';
import { type SinkMode, sampleSink } from './sample-sink';

let env: BrowserFleet | undefined;
let fleet: Fleet;
let ref: Awaited<ReturnType<Fleet['register']>>;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: false });
  fleet = env.fleet;
  ref = await fleet.register('1.0.0', clsModelBytes());
}, 120_000);

afterAll(async () => {
  await env?.close();
});

/** Where the happy path's uploads go. */
const HAPPY: SinkMode = 'accept';

const BUDGET = { maxSamplesPerDay: 10_000, maxBytesPerDay: 100_000_000 };
const policy = (p: Partial<CapturePolicy>): CapturePolicy => ({
  budget: BUDGET,
  clientRetentionDays: 7,
  maxSidePx: 64,
  ...p,
});

/** `n` distinct images (seeded from `seed`), odd ones upside down, `gain` scales their pixels (brightness). */
function images(seed: number, n: number, gain = 1): RawImage[] {
  return Array.from({ length: n }, (_, i) => {
    const img = testImage(100 + 17 * i, 30 + 5 * i, seed + i);
    for (let j = 0; j < img.data.length; j++) if (j % 4 !== 3) img.data[j] = img.data[j]! * gain;
    if (i % 2) img.data.reverse();
    return img;
  });
}

/** The brightness the runtime measures (shared code on the shared preprocessing), computed here in Node. */
function brightness(image: RawImage): number {
  const t = nodeTensor(image);
  const f = imageFeatures(t.data, t.dims, 'NCHW', { range: tensorRange(CLS_PREPROCESSING) });
  if (!f.ok) throw new Error(f.error.message);
  return f.value.brightness!;
}

interface Answer {
  predictionId: string;
  top: { label: string; confidence: number; margin: number };
}

async function open(mode: SinkMode = HAPPY) {
  const context = await env!.browser.newContext();
  const sink = await sampleSink(context, mode);
  const page = await context.newPage();
  return { context, sink, page };
}

async function start(page: Page): Promise<void> {
  await page.goto(env!.site.url);
  await page.waitForFunction(() => window.ef !== undefined);
  await page.evaluate(
    async ({ server, key }) => {
      await window.ef.start({
        server,
        key,
        app: 'inspector',
        model: 'cls',
        backend: 'wasm',
        live: true,
        telemetry: { windowMs: 3_600_000, retryMs: 200 },
        capture: { retryMs: 200, paceMsPerKb: 0 },
      });
    },
    { server: fleet.t.url, key: fleet.key },
  );
}

async function publish(page: Page | undefined, capture?: CapturePolicy): Promise<void> {
  const rev = await fleet.publish([{ name: 'cls', current: ref, ...(capture ? { capture } : {}) }]);
  if (!page) return;
  const deadline = Date.now() + 15_000;
  while ((await page.evaluate(async () => (await window.ef.runtime!.status()).planRev)) < rev) {
    if (Date.now() > deadline) throw new Error(`plan rev ${rev} not applied`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function inferAll(page: Page, list: RawImage[]): Promise<Answer[]> {
  const plain = list.map((i) => ({ data: Array.from(i.data), width: i.width, height: i.height }));
  return page.evaluate(async (list) => {
    const answers = [];
    for (const { data, width, height } of list) {
      const r = await window.ef.runtime!.infer(new ImageData(new Uint8ClampedArray(data), width, height));
      answers.push({ predictionId: r.predictionId, top: r.top! });
    }
    return answers;
  }, plain);
}

type CaptureStatus = NonNullable<
  Awaited<ReturnType<NonNullable<Window['ef']['runtime']>['status']>>['capture']
>;
const captureStatus = (page: Page) =>
  page.evaluate(async () => (await window.ef.runtime!.status()).capture) as Promise<
    CaptureStatus | undefined
  >;

/** Waits until every capture is queued or dropped and the queue is empty (all uploaded or refused). */
async function drained(page: Page, timeoutMs = 30_000): Promise<CaptureStatus> {
  // Polled from here: waitForFunction takes a pending Promise for a truthy answer.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await captureStatus(page);
    if (status?.queued === 0) return status;
    if (Date.now() > deadline) throw new Error(`samples still queued: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const byPrediction = (uploads: { meta: SampleMeta }[]) =>
  new Map(uploads.map((u) => [u.meta.predictionId!, u.meta]));

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
    expect(status).toMatchObject({ captured: expected.size, uploaded: expected.size, queued: 0 });
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
      captured: 3,
      uploaded: 3,
      budget: { samples: 7, bytes: 0, class_quota: 0 },
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
    expect(quotaStatus.budget.class_quota).toBe(10 - admitted);
    await b.context.close();

    // Bytes: the admitted samples' sizes never pass the day's byte budget.
    await publish(undefined, policy({ random: { rate: 1 }, budget: { ...BUDGET, maxBytesPerDay: 4_000 } }));
    const c = await open();
    await start(c.page);
    await inferAll(c.page, images(1200, 10));
    const bytesStatus = await drained(c.page);
    const sent = c.sink.uploads.reduce((s, u) => s + u.sizeBytes, 0);
    expect(sent).toBeLessThanOrEqual(4_000);
    expect(bytesStatus.budget.bytes).toBeGreaterThan(0);
    expect(bytesStatus.captured + bytesStatus.budget.bytes).toBe(10);
    await c.context.close();
  }, 120_000);
});
