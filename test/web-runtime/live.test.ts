import { bucketOf, stageThreshold } from '@edgefleet/shared';
import { selectModel } from '@edgefleet/web-runtime';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';

// One browser WITHOUT the WebGPU flags (no adapter) and one page for the whole file.
let fleet: Fleet;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let site: { url: string; close: () => Promise<void> };
let v1: Awaited<ReturnType<Fleet['register']>>;
let v2: Awaited<ReturnType<Fleet['register']>>;

let env: BrowserFleet | undefined;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: false });
  ({ fleet, browser, site } = env);
  v1 = await fleet.register('1.0.0', clsModelBytes());
  v2 = await fleet.register('2.0.0', clsModelBytes(2));
  await fleet.publish([{ name: 'cls', current: v1 }]);
  context = await browser.newContext();
  page = await context.newPage();
});

afterAll(async () => {
  await env?.close();
});

async function start(target: Page, live: boolean, maxReports?: number) {
  await target.goto(site.url);
  await target.waitForFunction(() => window.ef !== undefined);
  return target.evaluate(
    async ({ server, key, live, maxReports }) => {
      const rt = await window.ef.start({
        server,
        app: 'inspector',
        key,
        model: 'cls',
        live,
        telemetry: maxReports ? { retryMs: 300, maxReports } : { retryMs: 300 },
      });
      const w = window as unknown as { versions: string[] };
      w.versions = [rt.version];
      rt.on('version', (e) => w.versions.push(e.version));
      return { clientId: rt.clientId, backend: rt.backend, info: rt.info, version: rt.version };
    },
    { server: fleet.t.url, key: fleet.key, live, maxReports },
  );
}

const inferMany = (target: Page, n: number) =>
  target.evaluate(async (n) => {
    const versions: string[] = [];
    for (let i = 0; i < n; i++) {
      const out = await window.ef.runtime!.infer(new Float32Array(3 * 48 * 192).fill(i / n), [1, 3, 48, 192]);
      versions.push(out.version);
    }
    return versions;
  }, n);

const status = (target: Page) => target.evaluate(() => window.ef.runtime!.status());

describe('plan following', () => {
  it('a canary stage moves exactly the clients whose bucket is below the threshold', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `web-${i.toString(16).padStart(8, '0')}-client`);
    const planAt = (percent: number) => ({
      v: 1 as const,
      rev: 2,
      appId: 'inspector',
      issuedAt: 0,
      models: [
        {
          name: 'cls',
          current: v1,
          candidate: { rolloutId: 'r1', ref: v2, strategy: 'canary' as const, salt: 's1', percent },
        },
      ],
      telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 100 },
      policies: { golden: 'if_present' as const, shadowSampleRate: 0 },
    });
    const moved = (percent: number) =>
      ids.filter((id) => selectModel(planAt(percent), 'cls', id)?.ref.manifest.version === '2.0.0');
    for (const percent of [0, 5, 25, 50, 100]) {
      const expected = ids.filter((id) => bucketOf(id, 's1') < stageThreshold(percent));
      expect(moved(percent)).toEqual(expected);
    }
    expect(moved(0)).toHaveLength(0);
    expect(moved(100)).toHaveLength(200);
    const quarter = moved(25).length;
    expect(quarter).toBeGreaterThan(25); // 50 expected; binomial sd ≈ 6
    expect(quarter).toBeLessThan(75);
    // Stages only grow: every client moved at 25 % is still moved at 50 %.
    const half = new Set(moved(50));
    expect(moved(25).every((id) => half.has(id))).toBe(true);
    // A shadow candidate is never served.
    const shadow = planAt(100);
    shadow.models[0]!.candidate.strategy = 'shadow' as 'canary';
    expect(selectModel(shadow, 'cls', ids[0]!)?.ref.manifest.version).toBe('1.0.0');
  });

  it('without a WebGPU adapter runs on WASM and says why; a live page switches version on a plan change', async () => {
    const started = await start(page, true);
    expect(started.backend).toBe('wasm');
    expect(started.info.fallbackReason).toMatch(
      /navigator\.gpu is not available|requestAdapter\(\) returned null/,
    );
    expect(started.version).toBe('1.0.0');
    await expect.poll(async () => (await status(page)).connected, { timeout: 10_000 }).toBe(true);
    // Inferences keep running while the plan changes; none fails, the version flips once.
    const running = page.evaluate(async () => {
      const seen: string[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const out = await window.ef.runtime!.infer(new Float32Array(3 * 48 * 192), [1, 3, 48, 192]);
        seen.push(out.version);
        if (out.version === '2.0.0' && seen.filter((v) => v === '2.0.0').length >= 3) break;
      }
      return seen;
    });
    const salt = 'live1';
    const percent = bucketOf(started.clientId, salt) / 100 + 0.01; // the smallest stage that holds this client
    await fleet.publish([
      {
        name: 'cls',
        current: v1,
        candidate: { rolloutId: 'r-live', ref: v2, strategy: 'canary', salt, percent },
      },
    ]);
    const seen = await running;
    const firstNew = seen.indexOf('2.0.0');
    expect(firstNew).toBeGreaterThan(0);
    expect(seen.slice(firstNew).every((v) => v === '2.0.0')).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { versions: string[] }).versions)).toEqual([
      '1.0.0',
      '2.0.0',
    ]);
    // The smallest stage below that does not hold it: back to 1.0.0.
    await fleet.publish([
      {
        name: 'cls',
        current: v1,
        candidate: { rolloutId: 'r-live', ref: v2, strategy: 'canary', salt, percent: percent - 0.01 },
      },
    ]);
    await page.waitForFunction(() => window.ef.runtime!.version === '1.0.0');
  });
});

describe('telemetry', () => {
  it('offline → buffered → online → delivered once; reload while unreachable keeps them', async () => {
    await fleet.publish([{ name: 'cls', current: v1 }]);
    await start(page, false);
    // What earlier pages left (their page-hide windows) goes out first.
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const before = fleet.reports().length;
    const deliveredBefore = (await status(page)).delivered;
    await context.setOffline(true);
    await inferMany(page, 3);
    await page.evaluate(() => window.ef.runtime!.flush());
    await inferMany(page, 2);
    const offline = await page.evaluate(() => window.ef.runtime!.flush());
    expect(offline.buffered).toBe(2);
    expect(offline.delivered).toBe(deliveredBefore);
    expect(offline.online).toBe(false);
    expect(fleet.reports().length).toBe(before);
    await context.setOffline(false);
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const stored = fleet.reports().slice(before);
    expect(stored.map((r) => r.inferences)).toEqual([3, 2]);
    expect(new Set(stored.map((r) => `${r.clientId}/${r.epoch}/${r.seq}`)).size).toBe(2);
    expect(stored.every((r) => r.status === 'merged')).toBe(true);
    expect(stored[0]!.runtime).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(String(stored[0]!.runtime.fallbackReason)).toMatch(/webgpu|navigator\.gpu|requestAdapter/);

    // The fleet server unreachable (the page itself still loads): buffered reports survive a reload.
    await context.route(`${fleet.t.url}/**`, (route) => route.abort('internetdisconnected'));
    await inferMany(page, 4);
    expect((await page.evaluate(() => window.ef.runtime!.flush())).buffered).toBe(1);
    const afterReload = await start(page, false); // starts from the cached plan, keys and model
    expect(afterReload.version).toBe('1.0.0');
    expect((await status(page)).buffered).toBeGreaterThanOrEqual(1);
    await context.unroute(`${fleet.t.url}/**`);
    await page.evaluate(() => window.ef.runtime!.flush());
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const all = fleet.reports().slice(before);
    expect(all.map((r) => r.inferences)).toEqual([3, 2, 4]);
    expect(new Set(all.map((r) => `${r.epoch}/${r.seq}`)).size).toBe(3);
  });

  it('a full outbox merges old windows before it drops any, counts both, and keeps them over a reload', async () => {
    await start(page, false, 3);
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    await context.setOffline(true);
    for (const n of [1, 2, 3, 4, 5]) {
      await inferMany(page, n);
      await page.evaluate(() => window.ef.runtime!.flush());
    }
    // r1+r2 merged when r4 came, that merge and r3 when r5 came: nothing lost.
    const full = await status(page);
    expect(full.buffered).toBe(3);
    expect(full.overflow).toEqual({ mergedWindows: 2, droppedReports: 0, droppedInferences: 0 });

    // The fleet server unreachable: sends are attempted, so these reports may have reached it and never merge
    // again. One more window: nothing can merge, so the oldest is dropped, and counted.
    const count = fleet.reports().length;
    await context.route(`${fleet.t.url}/**`, (route) => route.abort('internetdisconnected'));
    await context.setOffline(false);
    await page.evaluate(() => window.ef.runtime!.flush());
    await inferMany(page, 7);
    const dropped = await page.evaluate(() => window.ef.runtime!.flush());
    expect(dropped.buffered).toBe(3);
    expect(dropped.overflow).toEqual({ mergedWindows: 2, droppedReports: 1, droppedInferences: 6 });
    // A reload keeps them (a page-hide beacon may deliver some early; the server stores each once).
    await start(page, false, 3);
    expect((await status(page)).buffered).toBe(3);
    await context.unroute(`${fleet.t.url}/**`);
    await page.evaluate(() => window.ef.runtime!.flush());
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const sent = fleet.reports().slice(count);
    expect(sent.map((r) => r.inferences)).toEqual([4, 5, 7]);
    expect(sent[1]!.overflow).toMatchObject({ mergedWindows: 2, droppedReports: 0 });
    expect(sent[2]!.overflow).toEqual({ mergedWindows: 2, droppedReports: 1, droppedInferences: 6 });
  });

  it('drops reports the server refuses for good (a corrupt record) and counts them; the rest still goes', async () => {
    await start(page, false);
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const before = (await status(page)).overflow;
    const count = fleet.reports().length;
    // Records no runtime writes, as a storage fault or an old build might leave them.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open('edgefleet-inspector');
          open.onsuccess = () => {
            const tx = open.result.transaction('outbox', 'readwrite');
            tx.objectStore('outbox').put({
              key: [0, 9_000_001],
              body: '{not json',
              inferences: 5,
              createdAt: 0,
            });
            tx.objectStore('outbox').put({
              key: [0, 9_000_002],
              body: JSON.stringify({ v: 1, clientId: 'x', epoch: 0, seq: 9_000_002, profile: 'nope' }),
              inferences: 7,
              createdAt: 0,
            });
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
          };
        }),
    );
    await inferMany(page, 2);
    await page.evaluate(() => window.ef.runtime!.flush());
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const after = (await status(page)).overflow;
    expect(after.droppedReports - before.droppedReports).toBe(2);
    expect(after.droppedInferences - before.droppedInferences).toBe(12);
    expect(
      fleet
        .reports()
        .slice(count)
        .map((r) => r.inferences),
    ).toEqual([2]);
  });

  it('on page hide the open window goes out with sendBeacon, and a later resend is stored once', async () => {
    await start(page, false);
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    const count = fleet.reports().length;
    await inferMany(page, 5);
    await page.goto('about:blank'); // pagehide: no flush was called
    await expect.poll(() => fleet.reports().length, { timeout: 10_000 }).toBe(count + 1);
    expect(fleet.reports()[count]!.inferences).toBe(5);
    await start(page, false); // whatever the beacon left in the outbox is resent, acked as duplicate, deleted
    await expect.poll(async () => (await status(page)).buffered, { timeout: 15_000 }).toBe(0);
    expect(fleet.reports().length).toBe(count + 1);
  });
});
