// Issue 18 item 6: an app's allowedOrigins hold for real browser pages, over HTTP and over the MQTT WebSocket.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { launchChromium } from '../browser/chromium';
import { serveFiles } from '../browser/static-server';

let t: TestServer;
let browser: Browser;
let shopKey: string;
let openKey: string;
const sites: { url: string; close: () => Promise<void> }[] = [];
const page = { body: '<!doctype html><title>page</title>', type: 'text/html' };

/** What a page at `origin` can do with a key: the plan over fetch, and a CONNECT over the MQTT WebSocket. */
async function tryFromPage(p: Page, api: string, appId: string, key: string) {
  return p.evaluate(
    async ({ api, appId, key }) => {
      const plan = await fetch(`${api}/api/v1/app/plan`, {
        headers: { authorization: `Bearer ${key}` },
      }).then(
        (r) => r.status,
        () => -1,
      );
      // A raw MQTT 3.1.1 CONNECT (clean session, username + password) over WebSocket; resolves with CONNACK's code.
      const utf8 = (s: string) => {
        const b = new TextEncoder().encode(s);
        return [b.length >> 8, b.length & 255, ...b];
      };
      const body = [
        ...utf8('MQTT'),
        4,
        0xc2,
        0,
        30,
        ...utf8(`app:${appId}:page`),
        ...utf8(`app:${appId}`),
        ...utf8(key),
      ];
      const connect = new Uint8Array([0x10, body.length, ...body]);
      const connack = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${api.replace('http', 'ws')}/mqtt`, 'mqtt');
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => ws.send(connect);
        const got: number[] = [];
        ws.onmessage = (m) => {
          got.push(...new Uint8Array(m.data as ArrayBuffer));
          if (got.length >= 4) resolve(got[3]!);
        };
        ws.onerror = () => resolve(-1);
        ws.onclose = () => resolve(-1);
        setTimeout(() => resolve(-3), 5_000);
      });
      return { plan, connack };
    },
    { api, appId, key },
  );
}

beforeAll(async () => {
  t = await startTestServer();
  for (let i = 0; i < 2; i++) sites.push(await serveFiles({ '/': page }));
  const shop = await t.call('/api/v1/apps', {
    method: 'POST',
    json: { id: 'shop', name: 'Shop', allowedOrigins: [sites[0]!.url] },
  });
  shopKey = (await shop.json()).publishableKey;
  openKey = (
    await (await t.call('/api/v1/apps', { method: 'POST', json: { id: 'open', name: 'Open' } })).json()
  ).publishableKey;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  for (const site of sites) await site.close();
  await t.dispose();
});

describe('allowed origins', () => {
  it('a page from an allowed origin gets the plan and an MQTT session; a page from another origin gets neither', async () => {
    const context = await browser.newContext();
    const [allowed, other] = [await context.newPage(), await context.newPage()];
    await allowed.goto(sites[0]!.url);
    await other.goto(sites[1]!.url);
    expect(await tryFromPage(allowed, t.url, 'shop', shopKey)).toEqual({ plan: 200, connack: 0 });
    const refused = await tryFromPage(other, t.url, 'shop', shopKey);
    expect(refused.plan).toBe(403);
    expect(refused.connack).not.toBe(0);
    // An app without allowedOrigins takes any page (the control: the refusal above is the origin's).
    expect(await tryFromPage(other, t.url, 'open', openKey)).toEqual({ plan: 200, connack: 0 });
    await context.close();
  });

  it('raw HTTP with a forged or null Origin is refused; no Origin (not a browser) is let through', async () => {
    const plan = (origin?: string) =>
      fetch(`${t.url}/api/v1/app/plan`, {
        headers: { authorization: `Bearer ${shopKey}`, ...(origin ? { origin } : {}) },
      }).then((r) => r.status);
    expect(await plan(sites[1]!.url)).toBe(403);
    expect(await plan('null')).toBe(403);
    expect(await plan(`${sites[0]!.url}.evil.example`)).toBe(403);
    expect(await plan(sites[0]!.url)).toBe(200);
    expect(await plan()).toBe(200);
  });
});
