// Helpers of the browser capture tests: a page with the runtime and a sample sink, plan publishing with a capture
// policy, inference over generated images, and the runtime's capture status.
import { imageFeatures, type RawImage } from '@edgefleet/shared';
import type { CapturePolicy, SampleMeta } from '@edgefleet/shared/capture';
import type { Page } from 'playwright-core';
import { tensorRange } from '../../web-runtime/src/telemetry/window';
import type { BrowserFleet } from './assets';
import { CLS_PREPROCESSING, type Fleet } from './fleet';
import { nodeTensor, testImage } from './reference';
import { type SinkMode, sampleSink } from './sample-sink';

/** The fleet, browser and model version the capture tests share (set by each file's beforeAll). */
export const shared = {} as { env: BrowserFleet; fleet: Fleet; ref: Awaited<ReturnType<Fleet['register']>> };

/** Where the happy path's uploads go. */
export const HAPPY: SinkMode = 'accept';

export const BUDGET = { maxSamplesPerDay: 10_000, maxBytesPerDay: 100_000_000 };
export const policy = (p: Partial<CapturePolicy>): CapturePolicy => ({
  budget: BUDGET,
  clientRetentionDays: 7,
  maxSidePx: 64,
  ...p,
});

/** `n` distinct images (seeded from `seed`), odd ones upside down, `gain` scales their pixels (brightness). */
export function images(seed: number, n: number, gain = 1): RawImage[] {
  return Array.from({ length: n }, (_, i) => {
    const img = testImage(100 + 17 * i, 30 + 5 * i, seed + i);
    for (let j = 0; j < img.data.length; j++) if (j % 4 !== 3) img.data[j] = img.data[j]! * gain;
    if (i % 2) img.data.reverse();
    return img;
  });
}

/** The brightness the runtime measures (shared code on the shared preprocessing), computed here in Node. */
export function brightness(image: RawImage): number {
  const t = nodeTensor(image);
  const f = imageFeatures(t.data, t.dims, 'NCHW', { range: tensorRange(CLS_PREPROCESSING) });
  if (!f.ok) throw new Error(f.error.message);
  return f.value.brightness!;
}

export interface Answer {
  predictionId: string;
  top: { label: string; confidence: number; margin: number };
}

export async function open(mode: SinkMode = HAPPY) {
  const context = await shared.env.browser.newContext();
  const sink = await sampleSink(context, mode);
  const page = await context.newPage();
  return { context, sink, page };
}

export async function start(page: Page, capture: Record<string, number> = {}): Promise<void> {
  await page.goto(shared.env.site.url);
  await page.waitForFunction(() => window.ef !== undefined);
  await page.evaluate(
    async ({ server, key, capture }) => {
      await window.ef.start({
        server,
        key,
        app: 'inspector',
        model: 'cls',
        backend: 'wasm',
        live: true,
        telemetry: { windowMs: 3_600_000, retryMs: 200 },
        capture: { retryMs: 200, maxRetryMs: 1_000, paceMsPerKb: 0, ...capture },
      });
    },
    { server: shared.fleet.t.url, key: shared.fleet.key, capture },
  );
}

export async function publish(page: Page | undefined, capture?: CapturePolicy): Promise<void> {
  const rev = await shared.fleet.publish([
    { name: 'cls', current: shared.ref, ...(capture ? { capture } : {}) },
  ]);
  if (!page) return;
  const deadline = Date.now() + 15_000;
  while ((await page.evaluate(async () => (await window.ef.runtime!.status()).planRev)) < rev) {
    if (Date.now() > deadline) throw new Error(`plan rev ${rev} not applied`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function inferAll(page: Page, list: RawImage[]): Promise<Answer[]> {
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

export type CaptureStatus = NonNullable<
  Awaited<ReturnType<NonNullable<Window['ef']['runtime']>['status']>>['capture']
>;
export const captureStatus = (page: Page) =>
  page.evaluate(async () => (await window.ef.runtime!.status()).capture) as Promise<
    CaptureStatus | undefined
  >;

/** Waits until every capture is queued or dropped and the queue is empty (all uploaded or refused). */
export async function drained(page: Page, timeoutMs = 30_000): Promise<CaptureStatus> {
  // Polled from here: waitForFunction takes a pending Promise for a truthy answer.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await captureStatus(page);
    if (status?.queue.samples === 0) return status;
    if (Date.now() > deadline) throw new Error(`samples still queued: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const byPrediction = (uploads: { meta: SampleMeta }[]) =>
  new Map(uploads.map((u) => [u.meta.predictionId!, u.meta]));
