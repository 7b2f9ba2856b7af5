import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser/chromium';
import { type Fleet, startFleet } from './fleet';

const here = dirname(fileURLToPath(import.meta.url));
/** The web-runtime package folder. */
export const RUNTIME_ROOT = join(here, '../../web-runtime');
const runtimeRoot = RUNTIME_ROOT;

/** onnxruntime-web's dist folder, as the runtime package resolves it. */
export const ORT_DIST = dirname(
  createRequire(join(runtimeRoot, 'package.json')).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
);

/** Bundles the test page script and the inference Worker with esbuild (what an app's bundler does). */
export async function bundleRuntime(): Promise<{ main: string; worker: string }> {
  const common = {
    bundle: true,
    write: false,
    format: 'esm' as const,
    platform: 'browser' as const,
    target: 'es2022',
    minify: true,
    logLevel: 'silent' as const,
  };
  const [main, worker] = await Promise.all([
    build({ ...common, entryPoints: [join(here, 'page/main.ts')] }),
    build({ ...common, entryPoints: [join(runtimeRoot, 'src/inference/worker.ts')] }),
  ]);
  return { main: main.outputFiles![0]!.text, worker: worker.outputFiles![0]!.text };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

/** A page server on 127.0.0.1: `/`, `/main.js`, `/worker.js` and onnxruntime-web's files under `/ort/`. */
export async function servePage(bundle: { main: string; worker: string }): Promise<{
  url: string;
  close: () => Promise<void>;
}> {
  const files: Record<string, string> = {
    '/': '<!doctype html><html><head><meta charset="utf-8"></head><body><script type="module" src="/main.js"></script></body></html>',
    '/main.js': bundle.main,
    '/worker.js': bundle.worker,
  };
  const ortCache = new Map<string, Buffer>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const ext = path.slice(path.lastIndexOf('.'));
    const inline = files[path];
    if (inline !== undefined) {
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'text/html' }).end(inline);
      return;
    }
    const name = path.startsWith('/ort/') ? path.slice(5) : '';
    if (/^[\w.-]+\.(mjs|wasm)$/.test(name)) {
      try {
        let body = ortCache.get(name);
        if (!body) {
          body = readFileSync(join(ORT_DIST, name));
          ortCache.set(name, body);
        }
        res.writeHead(200, { 'content-type': TYPES[ext]!, 'cache-control': 'max-age=3600' }).end(body);
        return;
      } catch {
        // falls through to 404
      }
    }
    res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real fleet server, the runtime's page served over HTTP and a Chromium: what every browser test starts with. */
export interface BrowserFleet {
  fleet: Fleet;
  browser: Browser;
  site: { url: string; close: () => Promise<void> };
  /** Closes the browser, the page server and the fleet (safe after a failed start). */
  close(): Promise<void>;
}

/** Starts a fleet, bundles the runtime and launches Chromium in parallel, then serves the page. */
export async function startBrowserFleet(options: { webgpu: boolean }): Promise<BrowserFleet> {
  const [fleet, bundle, browser] = await Promise.all([
    startFleet(),
    bundleRuntime(),
    launchChromium({ webgpu: options.webgpu }),
  ]);
  const site = await servePage(bundle);
  return {
    fleet,
    browser,
    site,
    async close() {
      await browser.close();
      await site.close();
      await fleet.dispose();
    },
  };
}
