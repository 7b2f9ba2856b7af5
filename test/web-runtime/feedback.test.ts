// Humans in the loop in the browser: the decision route of every automation level, operator labels counted once
// (across a page reload, against hostile input and a flood), and the server's quality API equal to the accuracy of
// the labels sent here, exactly. Real fleet server, real Chromium (WASM and WebGPU through SwiftShader), real
// PaddleOCR cls model.
import type { Automation } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';
import { testImage } from './reference';

let env: BrowserFleet | undefined;
let fleet: Fleet;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: true });
  fleet = env.fleet;
});

afterAll(async () => {
  await env?.close();
});

/** Images whose cls confidences spread from ~0.8 to 1 (odd ones reversed: upside down), as plain arrays. */
const IMAGES = Array.from({ length: 12 }, (_, i) => {
  const img = testImage(100 + 17 * i, 30 + 5 * i, i + 1);
  if (i % 2) img.data.reverse();
  return { data: Array.from(img.data), width: img.width, height: img.height };
});

interface Answer {
  predictionId: string;
  decision: { route: 'auto' | 'review'; reason: string };
  top?: { label: string; confidence: number; margin: number };
  backend: string;
}

/** What the test sent and expects the server to count, per version. */
interface Expected {
  routed: { auto: number; review: number };
  labelled: number;
  correct: number;
}

async function startRuntime(
  page: Page,
  backend: 'wasm' | 'webgpu',
  feedback?: { ttlMs?: number; maxPredictions?: number },
) {
  await page.goto(env!.site.url);
  await page.waitForFunction(() => window.ef !== undefined);
  return page.evaluate(
    async ({ server, key, backend, feedback }) => {
      const rt = await window.ef.start({
        server,
        key,
        app: 'inspector',
        model: 'cls',
        backend,
        live: true,
        // One window for the whole test unless it flushes: labels never race a window timer.
        telemetry: { windowMs: 3_600_000, retryMs: 200 },
        ...(feedback ? { feedback } : {}),
      });
      return { backend: rt.backend, version: rt.version };
    },
    { server: fleet.t.url, key: fleet.key, backend, feedback },
  );
}

function inferAll(page: Page, images = IMAGES): Promise<Answer[]> {
  return page.evaluate(async (images) => {
    const answers = [];
    for (const { data, width, height } of images) {
      const r = await window.ef.runtime!.infer(new ImageData(new Uint8ClampedArray(data), width, height));
      answers.push({ predictionId: r.predictionId, decision: r.decision, top: r.top, backend: r.backend });
    }
    return answers;
  }, images);
}

/** Sends labels; resolves with `counted` or the RuntimeError kind of each. */
function sendLabels(page: Page, labels: { predictionId: unknown; label: unknown }[]): Promise<string[]> {
  return page.evaluate(
    (labels) =>
      Promise.all(
        labels.map(({ predictionId, label }) =>
          window.ef.runtime!.feedback(predictionId as string, label as string).then(
            (r) => (r.counted ? 'counted' : 'not counted'),
            (e: unknown) => (e instanceof window.ef.RuntimeError ? e.kind : `thrown: ${String(e)}`),
          ),
        ),
      ),
    labels,
  );
}

async function setLevel(page: Page, ref: Awaited<ReturnType<Fleet['register']>>, automation?: Automation) {
  const rev = await fleet.publish([{ name: 'cls', current: ref, ...(automation ? { automation } : {}) }]);
  await page.waitForFunction(async (rev) => (await window.ef.runtime!.status()).planRev >= rev, rev, {
    timeout: 15_000,
  });
}

const flush = (page: Page) => page.evaluate(() => window.ef.runtime!.flush());

async function quality(version: string): Promise<VersionQuality> {
  const r = await fleet.t.call(
    `/api/v1/models/cls/versions/${version}/quality?from=0&to=${Date.now() + 3_600_000}`,
  );
  expect(r.status).toBe(200);
  return (await r.json()) as VersionQuality;
}

// A deterministic operator: mostly agrees with the model, overrides every third answer.
const operatorLabel = (a: Answer, i: number) =>
  i % 3 === 0 ? (a.top!.label === '0' ? '180' : '0') : a.top!.label;

const PARTIAL = { level: 'partial' as const, minConfidence: 0.99, minMargin: 0.5 };

describe.each([
  ['wasm', '1.0.0', 0],
  ['webgpu', '1.1.0', 1],
] as const)('feedback on %s (real Chromium, PaddleOCR cls)', (backend, version, variant) => {
  let context: BrowserContext;
  let page: Page;
  let ref: Awaited<ReturnType<Fleet['register']>>;
  const answers: Answer[] = [];
  const expected: Expected = { routed: { auto: 0, review: 0 }, labelled: 0, correct: 0 };
  const count = (list: Answer[]) => {
    for (const a of list) expected.routed[a.decision.route]++;
    answers.push(...list);
    return list;
  };
  const label = async (pairs: { a: Answer; label: string }[]) => {
    const kinds = await sendLabels(
      page,
      pairs.map(({ a, label }) => ({ predictionId: a.predictionId, label })),
    );
    pairs.forEach(({ a, label }, i) => {
      if (kinds[i] !== 'counted') return;
      expected.labelled++;
      if (label === a.top!.label) expected.correct++;
    });
    return kinds;
  };

  beforeAll(async () => {
    ref = await fleet.register(version, clsModelBytes(variant));
    await fleet.publish([{ name: 'cls', current: ref }]);
    context = await env!.browser.newContext();
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
  });

  it('routes every answer by the level the app plan gives the model, live', async () => {
    expect(await startRuntime(page, backend)).toEqual({ backend, version });
    // No level in the plan: full, the model decides.
    const full = count(await inferAll(page, IMAGES.slice(0, 8)));
    expect(full.every((a) => a.decision.route === 'auto' && a.backend === backend)).toBe(true);
    expect(full[0]!.decision.reason).toBe('full: the model decides');
    expect(new Set(full.map((a) => a.predictionId)).size).toBe(full.length);
    for (const level of ['shadow', 'assist'] as const) {
      await setLevel(page, ref, { level });
      const answers = count(await inferAll(page, IMAGES.slice(6, 12)));
      expect(answers.map((a) => a.decision.route)).toEqual(answers.map(() => 'review'));
      expect(answers[0]!.decision.reason).toMatch(new RegExp(`^${level}: `));
    }
    await setLevel(page, ref, PARTIAL);
    const partial = count(await inferAll(page));
    for (const a of partial) {
      const sure = a.top!.confidence >= PARTIAL.minConfidence && a.top!.margin >= PARTIAL.minMargin;
      expect(a.decision.route).toBe(sure ? 'auto' : 'review');
    }
    // The images spread around τ: both routes are taken.
    expect(new Set(partial.map((a) => a.decision.route))).toEqual(new Set(['auto', 'review']));
    await setLevel(page, ref, { level: 'full' });
    expect(count(await inferAll(page, IMAGES.slice(6, 12))).every((a) => a.decision.route === 'auto')).toBe(
      true,
    );
    expect(answers).toHaveLength(38);
  }, 300_000);

  it('counts each label once; hostile labels get their kind and count nothing', async () => {
    const picked = answers.slice(0, 24).map((a, i) => ({ a, label: operatorLabel(a, i) }));
    expect(await label(picked)).toEqual(picked.map(() => 'counted'));
    const a = answers[0]!;
    const kinds = await sendLabels(page, [
      { predictionId: a.predictionId, label: a.top!.label }, // duplicate
      { predictionId: 'no-such-prediction', label: '0' },
      { predictionId: answers[30]!.predictionId, label: '90' },
      { predictionId: answers[30]!.predictionId, label: '' },
      { predictionId: 42, label: '0' },
      { predictionId: answers[31]!.predictionId, label: ['0'] },
    ]);
    expect(kinds).toEqual([
      'duplicate_label',
      'unknown_prediction',
      'invalid_label',
      'input_invalid',
      'input_invalid',
      'input_invalid',
    ]);
    // Concurrent duplicates of one unlabelled prediction: exactly one counts.
    const twice = await label([0, 1, 2, 3].map(() => ({ a: answers[30]!, label: '0' })));
    expect(twice.filter((k) => k === 'counted')).toHaveLength(1);
    expect(twice.filter((k) => k === 'duplicate_label')).toHaveLength(3);
  });

  it('refuses a flood beyond the window’s inferences as window_full, and counts those labels in a later window', async () => {
    await flush(page);
    // The new window served 2 inferences: of 6 labels for earlier predictions, 2 count.
    count(await inferAll(page, IMAGES.slice(0, 2)));
    const waiting = answers.slice(32, 38).map((a, i) => ({ a, label: operatorLabel(a, i) }));
    const kinds = await label(waiting);
    expect(kinds.filter((k) => k === 'counted')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'window_full')).toHaveLength(4);
    count(await inferAll(page, IMAGES.slice(0, 4)));
    const again = waiting.filter((_, i) => kinds[i] === 'window_full');
    expect(await label(again)).toEqual(again.map(() => 'counted'));
    const status = await page.evaluate(() => window.ef.runtime!.status());
    expect(status.feedback.refused.window_full).toBe(4);
    expect(status.feedback.predictionWriteFailures).toBe(0);
  });

  it('keeps predictions across a page reload: a late label counts once in the new page', {
    timeout: 120_000,
  }, async () => {
    const before = answers.slice(24, 26);
    expect(await flush(page)).toMatchObject({ buffered: 0 });
    await startRuntime(page, backend); // page.goto: a reload, a new JS context, the same IndexedDB
    count(await inferAll(page, IMAGES.slice(0, 1)));
    expect(await label([{ a: before[0]!, label: operatorLabel(before[0]!, 0) }])).toEqual(['counted']);
    expect(await label([{ a: before[0]!, label: before[0]!.top!.label }])).toEqual(['duplicate_label']);
  });

  it('takes labels within the TTL option only, and evicts beyond the bounded count', {
    timeout: 120_000,
  }, async () => {
    expect(await flush(page)).toMatchObject({ buffered: 0 });
    await startRuntime(page, backend, { ttlMs: 300 });
    count(await inferAll(page, IMAGES.slice(0, 1)));
    await page.waitForTimeout(400);
    const late = answers.at(-1)!;
    expect(await label([{ a: late, label: '0' }])).toEqual(['label_expired']);
    // A write prunes predictions older than twice the TTL: then the id is unknown.
    await page.waitForTimeout(300);
    count(await inferAll(page, IMAGES.slice(0, 1)));
    expect(await label([{ a: late, label: '0' }])).toEqual(['unknown_prediction']);

    expect(await flush(page)).toMatchObject({ buffered: 0 });
    await startRuntime(page, backend, { maxPredictions: 3 });
    const four = count(await inferAll(page, IMAGES.slice(0, 4)));
    expect(await label([{ a: four[0]!, label: '0' }])).toEqual(['unknown_prediction']);
    expect(await label([{ a: four[3]!, label: four[3]!.top!.label }])).toEqual(['counted']);
  });

  it('the server’s quality API equals the accuracy of the labels sent, exactly', async () => {
    expect(await flush(page)).toMatchObject({ buffered: 0 });
    const q = await quality(version);
    expect(expected.labelled).toBeGreaterThan(30);
    expect(q.labelled).toBe(expected.labelled);
    expect(q.accuracy.successes).toBe(expected.correct);
    expect(q.accuracy.trials).toBe(expected.labelled);
    expect(q.accuracy.estimate).toBe(expected.correct / expected.labelled);
    expect(q.routed).toEqual(expected.routed);
    expect(q.confusion.flat().reduce((s, c) => s + c, 0)).toBe(expected.labelled);
  });
});
