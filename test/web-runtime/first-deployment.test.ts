// A web app's first version of a model through a real rollout with no baseline: the app plan's slot has
// `current: null` with the candidate's share, the page serves v1 from it, and when the rollout is rolled back
// the runtime stops serving: `infer` rejects with the typed `no_model` error (real server, broker, Chromium).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';

let fleet: Fleet;
let browser: Browser;
let page: Page;
let site: { url: string; close: () => Promise<void> };

let env: BrowserFleet | undefined;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: false });
  ({ fleet, browser, site } = env);
  await fleet.register('1.0.0', clsModelBytes());
  page = await (await browser.newContext()).newPage();
});

afterAll(async () => {
  await env?.close();
});

const admin = async (path: string, json: unknown) => {
  const res = await fleet.t.call(path, { method: 'POST', json });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
};

const inferOnce = () =>
  page.evaluate(async () => {
    try {
      const out = await window.ef.runtime!.infer(new Float32Array(3 * 48 * 192), [1, 3, 48, 192]);
      return { version: out.version };
    } catch (error) {
      return { kind: (error as { kind?: string }).kind, message: (error as Error).message };
    }
  });

describe('first deployment to a web app', () => {
  it('serves v1 from a plan with no current version, and rejects infer with no_model after the rollback', async () => {
    const created = await admin('/api/v1/rollouts', {
      id: 'web-first',
      model: 'cls',
      candidate: '1.0.0',
      target: { app: 'inspector' },
      strategy: 'all-at-once',
      stages: '100%:1h',
    });
    expect(created.baseline).toBeNull();
    await admin('/api/v1/rollouts/web-first/promote', { reason: 'start now' }); // no waiting for the tick

    await page.goto(site.url);
    await page.waitForFunction(() => window.ef !== undefined);
    const started = await page.evaluate(
      async ({ server, key }) => {
        const rt = await window.ef.start({ server, key, app: 'inspector', model: 'cls', telemetry: false });
        const w = window as unknown as { errors: string[] };
        w.errors = [];
        rt.on('error', (e) => w.errors.push(e.kind));
        return { version: rt.version };
      },
      { server: fleet.t.url, key: fleet.key },
    );
    expect(started).toEqual({ version: '1.0.0' });
    await expect
      .poll(async () => (await page.evaluate(() => window.ef.runtime!.status())).connected)
      .toBe(true);
    expect(await inferOnce()).toEqual({ version: '1.0.0' });

    await admin('/api/v1/rollouts/web-first/rollback', { reason: 'misreads' });
    await expect.poll(inferOnce, { timeout: 15_000 }).toEqual({
      kind: 'no_model',
      message: 'the plan of app inspector has no model cls',
    });
    expect(await page.evaluate(() => (window as unknown as { errors: string[] }).errors)).toContain(
      'no_model',
    );
    // Status still answers (with the runtime info of the version it last served).
    expect(await page.evaluate(() => window.ef.runtime!.status().then((s) => s.runtime.backend))).toBe(
      'wasm',
    );
  });
});
