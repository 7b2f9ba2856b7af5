import type { RunningAgent } from '@edgefleet/agent';
import type { VersionQuality } from '@edgefleet/shared/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import { launchChromium } from '../browser/chromium';
import { serveFiles } from '../browser/static-server';
import {
  type ClassifierAnswer,
  deployWithAutomation,
  feedbackOnServer,
  inferPng,
  orientationImages,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  until,
} from './fleet';

const DEVICE = 'station-s';
const HOSTILE = ['<img src=x onerror="window.__pwned=1">', '"><script>window.__pwned=2</script>'] as [
  string,
  string,
];

/** The prediction the station page shows now, once its image is loaded (null when the queue is empty). */
async function shownItem(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const item = document.getElementById('item');
    const img = document.getElementById('image') as HTMLImageElement;
    return item && !item.hidden && img.complete && img.naturalWidth > 0;
  });
  return (await page.getAttribute('#item', 'data-prediction-id'))!;
}

const labelledCount = (page: Page, n: number) =>
  page.waitForFunction((want) => document.getElementById('labelled')?.textContent === String(want), n);

describe('the station page in real Chromium (real agent, broker, server and cls model)', () => {
  let t: TestServer;
  let agent: RunningAgent;
  let browser: Browser;
  let images: Uint8Array<ArrayBuffer>[];
  beforeAll(async () => {
    t = await startServerWithBroker();
    images = await orientationImages();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await t.dispose();
  });

  it('confirms with Enter and corrects with number keys and arrows; the server’s quality equals the labels chosen', async () => {
    const ref = await registerCls(t, '1.0.0');
    ({ agent } = await startEnrolledAgent(t, DEVICE));
    await until(() => agent.link?.connected, 10_000, 'connect');
    await deployWithAutomation(t, agent, DEVICE, ref, { level: 'assist' });
    const answers = new Map<string, ClassifierAnswer>();
    for (const png of images) {
      const a = await inferPng(agent.url, png);
      expect(a.decision.route).toBe('review');
      answers.set(a.predictionId, a);
    }

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${agent.url}/station`);
    await page.waitForFunction(() => document.getElementById('pending')?.textContent === '3');

    // Three items, three ways: Enter on the suggestion, a number key, an arrow — each then Enter.
    const other = (label: string) => (label === '0' ? '180' : '0');
    const chosen: [ClassifierAnswer, string][] = [];
    const ways: ((a: ClassifierAnswer) => Promise<string>)[] = [
      async (a) => a.top.label,
      async (a) => {
        await page.keyboard.press(other(a.top.label) === '0' ? '1' : '2');
        return other(a.top.label);
      },
      async (a) => {
        await page.keyboard.press('ArrowDown');
        return other(a.top.label);
      },
    ];
    for (const [i, way] of ways.entries()) {
      const id = await shownItem(page);
      const a = answers.get(id)!;
      expect(await page.textContent('#suggestion')).toBe(a.top.label);
      expect(await page.textContent('#confidence')).toBe(`${(100 * a.top.confidence).toFixed(1)} %`);
      const label = await way(a);
      await page.keyboard.press('Enter');
      await labelledCount(page, i + 1);
      chosen.push([a, label]);
    }
    await page.waitForFunction(() => !document.getElementById('empty')?.hidden);
    expect(await page.textContent('#pending')).toBe('0');
    expect(new Set(chosen.map(([a]) => a.predictionId)).size).toBe(3);
    // Labelled images are deleted from the device.
    for (const [a] of chosen)
      expect((await fetch(`${agent.url}/v1/review/${a.predictionId}/image`)).status).toBe(404);

    agent.flushWindow();
    await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
    const expected = [
      [0, 0],
      [0, 0],
    ];
    for (const [a, l] of chosen) expected[Number(l === '180')]![Number(a.top.label === '180')]!++;
    expect(feedbackOnServer(t, DEVICE)?.counts).toEqual(expected);
    const quality = (await (
      await t.call(`/api/v1/models/cls/versions/1.0.0/quality?from=0&to=${Date.now() + 3_600_000}`)
    ).json()) as VersionQuality;
    expect(quality.labelled).toBe(3);
    expect(quality.agreement).toMatchObject({ successes: 1, trials: 3 });
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a page of another origin cannot label: text/plain and form posts are refused, JSON needs a preflight it never gets', async () => {
    const target = await inferPng(agent.url, images[0]!);
    const evil = await serveFiles({
      '/': {
        type: 'text/html',
        body: `<!doctype html><form id="f" method="POST" enctype="text/plain"
          action="${agent.url}/v1/review/${target.predictionId}"><input name='{"label":"0","x":"' value='"}'></form>`,
      },
    });
    const page = await browser.newPage();
    try {
      for (const origin of [evil.url, 'http://evil.example']) {
        if (origin === 'http://evil.example') {
          await page.route('http://evil.example/', (route) =>
            route.fulfill({ contentType: 'text/html', body: '<!doctype html><p>evil</p>' }),
          );
        }
        await page.goto(`${origin}/`);
        const outcomes = await page.evaluate(
          async ({ url, id }) => {
            const tries = [
              { mode: 'no-cors', headers: { 'content-type': 'text/plain' } },
              { mode: 'cors', headers: { 'content-type': 'application/json' } },
              { mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
            ] as const;
            const out: string[] = [];
            for (const init of tries) {
              for (const path of [`/v1/review/${id}`, '/v1/feedback']) {
                try {
                  const res = await fetch(url + path, {
                    method: 'POST',
                    ...init,
                    body: JSON.stringify({ predictionId: id, label: '0' }),
                  });
                  out.push(`${init.headers['content-type']} ${res.type} ${res.status}`);
                } catch (err) {
                  out.push(`${init.headers['content-type']} failed ${(err as Error).message}`);
                }
              }
            }
            return out;
          },
          { url: agent.url, id: target.predictionId },
        );
        // A CORS request to the agent never succeeds (no CORS headers are ever granted).
        for (const o of outcomes.filter((x) => x.startsWith('application/json'))) expect(o).toMatch(/failed/);
      }
      await page.goto(`${evil.url}/`);
      await Promise.all([
        page.waitForURL(/\/v1\/review\//),
        page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit()),
      ]);
      expect(await page.textContent('body')).toMatch(/unsupported_media/);
    } finally {
      await page.close();
      await evil.close();
    }
    expect(agent.feedback.counters.labelsCounted).toBe(3);
    const pending = (await (await fetch(`${agent.url}/v1/review`)).json()) as {
      pending: { predictionId: string }[];
    };
    expect(pending.pending.map((p) => p.predictionId)).toContain(target.predictionId);
  }, 60_000);

  it('renders hostile class names as text and labels with them', async () => {
    const ref = await registerCls(t, '2.0.0', undefined, HOSTILE);
    await deployWithAutomation(t, agent, DEVICE, ref, { level: 'assist' });
    const before = agent.feedback.counters.labelsCounted;
    const a = await inferPng(agent.url, images[1]!);
    const page = await browser.newPage();
    await page.goto(`${agent.url}/station`);
    await page.waitForFunction(
      (id) => document.getElementById('item')?.getAttribute('data-prediction-id') === id,
      a.predictionId,
    );
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('#classes .name', (els) => els.map((e) => e.textContent))).toEqual(HOSTILE);
    expect(await page.$$('main img:not(#image), main script')).toHaveLength(0);
    expect(await page.textContent('#suggestion')).toBe(a.top.label);
    await page.keyboard.press(a.top.index === 0 ? '2' : '1');
    await page.keyboard.press('Enter');
    await labelledCount(page, 1);
    expect(agent.feedback.counters.labelsCounted).toBe(before + 1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // Labelled elsewhere meanwhile (e.g. a sidecar file): the page says so and moves on, nothing counted twice.
    const next = await shownItem(page);
    const elsewhere = await fetch(`${agent.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ predictionId: next, label: '0' }),
    });
    expect(elsewhere.status).toBe(200);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('status')?.className === 'warn');
    expect(await page.textContent('#status')).toMatch(
      /^Skipped: prediction .* already has a label \(duplicate_label\)/,
    );
    expect(await page.textContent('#labelled')).toBe('1');
    expect(agent.feedback.counters.labelsCounted).toBe(before + 2);
    await page.close();
  }, 60_000);
});
