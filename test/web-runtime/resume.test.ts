// Artifact download resume: a real connection cut in the middle of the model download (a proxy in front of the
// real fleet server destroys the socket), then a second start asks only for the rest with `Range`.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';

let fleet: Fleet;
let browser: Browser;
let page: Page;
let site: { url: string; close: () => Promise<void> };
let proxy: Server;
let proxyUrl: string;
/** Bytes of artifact body the proxy lets through before it cuts the connection; Infinity passes all. */
let cutAfter = Number.POSITIVE_INFINITY;
const artifactRequests: { range?: string; ifRange?: string; status: number; bodyBytes: number }[] = [];
const modelBytes = clsModelBytes();

let env: BrowserFleet | undefined;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: false });
  ({ fleet, browser, site } = env);
  const v1 = await fleet.register('1.0.0', modelBytes);
  await fleet.publish([{ name: 'cls', current: v1 }]);
  const target = new URL(fleet.t.url);
  proxy = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const isArtifact = req.method === 'GET' && /^\/api\/v1\/artifacts\/[0-9a-f]{64}$/.test(req.url ?? '');
        if (!isArtifact) {
          up.pipe(res);
          return;
        }
        const record = {
          ...(req.headers.range ? { range: req.headers.range } : {}),
          ...(req.headers['if-range'] ? { ifRange: String(req.headers['if-range']) } : {}),
          status: up.statusCode ?? 0,
          bodyBytes: 0,
        };
        artifactRequests.push(record);
        up.on('data', (chunk: Buffer) => {
          const room = cutAfter - record.bodyBytes;
          if (chunk.length <= room) {
            record.bodyBytes += chunk.length;
            res.write(chunk);
            return;
          }
          record.bodyBytes += Math.max(0, room);
          // Cut once the page has had time to read what came (a cut that arrives first can discard it).
          res.write(chunk.subarray(0, Math.max(0, room)), () => setTimeout(() => res.socket?.destroy(), 300));
          up.destroy();
        });
        up.on('end', () => res.end());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  page = await (await browser.newContext()).newPage();
  await page.goto(site.url);
  await page.waitForFunction(() => window.ef !== undefined);
});

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await env?.close();
});

const start = () =>
  page.evaluate(
    async ({ server, key }) => {
      try {
        await window.ef.runtime?.close();
        const rt = await window.ef.start({
          server,
          key,
          app: 'inspector',
          model: 'cls',
          live: false,
          telemetry: false,
        });
        return { version: rt.version };
      } catch (error) {
        return { kind: (error as { kind?: string }).kind, message: String(error) };
      }
    },
    { server: proxyUrl, key: fleet.key },
  );

describe('artifact download resume', () => {
  it('keeps the bytes of a cut download and fetches only the rest with Range and If-Range', async () => {
    cutAfter = 200_000;
    const cut = await start();
    expect(cut).toMatchObject({ kind: 'network' });
    expect(artifactRequests).toHaveLength(1);
    expect(artifactRequests[0]).toMatchObject({ status: 200, bodyBytes: 200_000 });
    expect(artifactRequests[0]!.range).toBeUndefined();

    cutAfter = Number.POSITIVE_INFINITY;
    const resumed = await start();
    expect(resumed).toEqual({ version: '1.0.0' });
    expect(artifactRequests).toHaveLength(2);
    const second = artifactRequests[1]!;
    // What reached the page before the cut (at least what the proxy counted as written, less what was in flight).
    const from = Number(/^bytes=(\d+)-$/.exec(second.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(200_000);
    expect(second.ifRange).toMatch(/^"[0-9a-f]{64}"$/);
    expect(second).toMatchObject({ status: 206, bodyBytes: modelBytes.length - from });
    // The model runs (the whole verified against the signed sha256).
    const out = await page.evaluate(async () => {
      const r = await window.ef.runtime!.infer(new Float32Array(3 * 48 * 192), [1, 3, 48, 192]);
      return r.output.length;
    });
    expect(out).toBe(2);
  });

  it('starts over when the kept bytes are corrupt: the whole fails its sha256 once, then downloads afresh', async () => {
    // Corrupt what a cut download kept (as a storage fault would), then resume.
    await page.evaluate(() => window.ef.runtime?.close());
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const del = indexedDB.deleteDatabase('edgefleet-inspector');
          del.onsuccess = () => resolve();
          del.onerror = () => reject(del.error);
        }),
    );
    cutAfter = 300_000;
    expect(await start()).toMatchObject({ kind: 'network' });
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open('edgefleet-inspector');
          open.onsuccess = () => {
            const tx = open.result.transaction('meta', 'readwrite');
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            const cursor = tx.objectStore('meta').openCursor();
            cursor.onsuccess = () => {
              const c = cursor.result;
              if (!c) return;
              if (String(c.key).startsWith('partial:')) {
                const v = c.value.value as { bytes: ArrayBuffer };
                const bytes = new Uint8Array(v.bytes);
                bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
                c.update(c.value);
              }
              c.continue();
            };
          };
        }),
    );
    cutAfter = Number.POSITIVE_INFINITY;
    const failed = await start();
    expect(failed).toMatchObject({ kind: 'integrity' });
    expect(artifactRequests.at(-1)!.range).toMatch(/^bytes=\d+-$/);
    expect(await start()).toEqual({ version: '1.0.0' });
    expect(artifactRequests.at(-1)).toMatchObject({ status: 200, bodyBytes: modelBytes.length });
    expect(artifactRequests.at(-1)!.range).toBeUndefined();
  });

  it('ignores a hostile kept record (wrong types, impossible lengths) and downloads the whole', async () => {
    await page.evaluate(() => window.ef.runtime?.close());
    const sha = (await fleet.t.call('/api/v1/models/cls/versions/1.0.0').then((r) => r.json())).manifest
      .sha256;
    const hostile = [
      { sha256: sha, bytes: 'not bytes', loadedBytes: 10 },
      { sha256: sha, bytes: null, loadedBytes: 1e12 },
      { sha256: 'other', bytes: null, loadedBytes: 5 },
      null,
    ];
    for (const value of hostile) {
      await page.evaluate(
        ({ key, value }) =>
          new Promise<void>((resolve, reject) => {
            const del = indexedDB.deleteDatabase('edgefleet-inspector');
            del.onerror = () => reject(del.error);
            del.onsuccess = () => {
              const open = indexedDB.open('edgefleet-inspector', 1);
              open.onupgradeneeded = () => {
                const db = open.result;
                db.createObjectStore('models', { keyPath: 'sha256' }).createIndex('byName', 'name');
                db.createObjectStore('outbox', { keyPath: 'key' });
                db.createObjectStore('meta', { keyPath: 'key' });
              };
              open.onsuccess = () => {
                const tx = open.result.transaction('meta', 'readwrite');
                tx.objectStore('meta').put({
                  key,
                  value: value ?? { bytes: new ArrayBuffer(8), loadedBytes: 8 },
                });
                tx.oncomplete = () => {
                  open.result.close();
                  resolve();
                };
              };
            };
          }),
        { key: `partial:${sha}`, value },
      );
      expect(await start()).toEqual({ version: '1.0.0' });
      expect(artifactRequests.at(-1)).toMatchObject({ status: 200, bodyBytes: modelBytes.length });
      expect(artifactRequests.at(-1)!.range).toBeUndefined();
      await page.evaluate(() => window.ef.runtime?.close());
    }
  });
});
