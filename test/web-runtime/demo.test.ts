import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/chromium';
import { RUNTIME_ROOT } from './assets';
import { clsModelBytes, type Fleet, startFleet } from './fleet';

// The Vite demo as an app ships it: `vite build` (the runtime's default Worker URL, ORT copied to /ort/).
let fleet: Fleet;
let browser: Browser;
let server: PreviewServer;
const outDir = mkdtempSync(join(tmpdir(), 'edgefleet-demo-'));

beforeAll(async () => {
  const configFile = join(RUNTIME_ROOT, 'vite.config.ts');
  const [f, b] = await Promise.all([
    startFleet(),
    launchChromium(),
    build({
      configFile,
      root: join(RUNTIME_ROOT, 'demo'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    }),
  ]);
  fleet = f;
  browser = b;
  await fleet.publish([{ name: 'cls', current: await fleet.register('1.0.0', clsModelBytes()) }]);
  server = await preview({
    configFile,
    root: join(RUNTIME_ROOT, 'demo'),
    logLevel: 'silent',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0 },
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fleet?.dispose();
  rmSync(outDir, { recursive: true, force: true });
});

describe('Vite demo', () => {
  it('starts the runtime from the form and shows prediction, version, backend, latency and link state', async () => {
    const page = await browser.newPage();
    const url = new URL(server.resolvedUrls!.local[0]!);
    url.search = new URLSearchParams({
      server: fleet.t.url,
      app: fleet.appId,
      key: fleet.key,
      model: 'cls',
    }).toString();
    await page.goto(url.toString());
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#version'), { timeout: 30_000 }).toBe('1.0.0');
    expect(await page.textContent('#backend')).toMatch(/^wasm \(.+; 1 thread\(s\)\)$/);
    // A 1×1 PNG picked through the file input.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    );
    await page.setInputFiles('#file', { name: 'dot.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.textContent('#prediction'), { timeout: 15_000 }).toMatch(/^class [01] \(/);
    expect(await page.textContent('#latency')).toMatch(/ms$/);
    await expect.poll(() => page.textContent('#link'), { timeout: 10_000 }).toBe('online (MQTT)');
    expect(await page.textContent('#buffered')).toMatch(/buffered/);
  });
});
