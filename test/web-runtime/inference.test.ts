import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserFleet, startBrowserFleet } from './assets';
import { clsModelBytes, type Fleet } from './fleet';
import { maxAbsDiff, nodeOutputs, nodeTensor, testImage } from './reference';

// One browser (with the SwiftShader WebGPU flags) and one page for the whole file.
let fleet: Fleet;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let site: { url: string; close: () => Promise<void> };
let good: Awaited<ReturnType<Fleet['register']>>;
const artifactRequests: string[] = [];
const image = testImage(230, 61, 7);
let expected: number[];

let env: BrowserFleet | undefined;

beforeAll(async () => {
  env = await startBrowserFleet({ webgpu: true });
  ({ fleet, browser, site } = env);
  good = await fleet.register('1.0.0', clsModelBytes());
  await fleet.publish([{ name: 'cls', current: good }]);
  expected = await nodeOutputs(clsModelBytes(), nodeTensor(image).data, [1, 3, 48, 192]);
  context = await browser.newContext();
  page = await context.newPage();
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/artifacts/')) artifactRequests.push(r.url());
  });
});

afterAll(async () => {
  await env?.close();
});

/** Loads the page and starts the runtime; resolves with its backend facts or the error kind. */
async function startRuntime(backend: 'wasm' | 'webgpu' | 'auto', target: Page = page) {
  await target.goto(site.url);
  await target.waitForFunction(() => window.ef !== undefined);
  return target.evaluate(
    async ({ server, key, backend }) => {
      try {
        const rt = await window.ef.start({
          server,
          app: 'inspector',
          key,
          model: 'cls',
          backend,
          live: false,
        });
        return {
          ok: true as const,
          backend: rt.backend,
          reason: rt.backendReason,
          version: rt.version,
          info: rt.info,
        };
      } catch (error) {
        const e = error as { kind?: string; message?: string };
        return { ok: false as const, kind: e.kind, message: e.message };
      }
    },
    { server: fleet.t.url, key: fleet.key, backend },
  );
}

/** Infers the test image in the page (as ImageData, preprocessed by the runtime). */
function inferImage(target: Page = page) {
  return target.evaluate(
    async ({ data, width, height }) => {
      const out = await window.ef.runtime!.infer(new ImageData(new Uint8ClampedArray(data), width, height));
      return { output: Array.from(out.output), dims: out.dims, backend: out.backend, version: out.version };
    },
    { data: Array.from(image.data), width: image.width, height: image.height },
  );
}

/**
 * Infers the test image's tensor with `{ transfer: true }` and once as it is: the moved buffer is detached as
 * soon as `infer` is called (it went to the Worker, not a clone of it), the kept one is untouched, and a detached
 * buffer given again is refused with a clear error.
 */
function inferTransferred(tensor: Float32Array, options: { copyToo: boolean }) {
  return page.evaluate(
    async ({ values, copyToo }) => {
      const dims = [1, 3, 48, 192];
      const rt = window.ef.runtime!;
      const moved = new Float32Array(values);
      const pending = rt.infer(moved, dims, { transfer: true });
      const detachedAtCall = moved.byteLength === 0 && moved.length === 0;
      const out = await pending;
      const kept = new Float32Array(values);
      const copy = copyToo ? await rt.infer({ data: kept, dims }) : undefined;
      let again: { kind?: string; message: string } | null = null;
      try {
        await rt.infer(moved, dims, { transfer: true });
      } catch (e) {
        again = { kind: (e as { kind?: string }).kind, message: (e as Error).message };
      }
      return {
        detachedAtCall,
        output: Array.from(out.output),
        keptIntact: kept.byteLength === values.length * 4 && kept.every((v, i) => v === values[i]),
        copyOutput: copy ? Array.from(copy.output) : [],
        again,
      };
    },
    { values: Array.from(tensor), ...options },
  );
}

describe('web runtime inference (real fleet server, real Chromium, PaddleOCR cls)', () => {
  it('WASM path matches onnxruntime-node within 1e-4 (image preprocessed by the shared code)', async () => {
    const started = await startRuntime('wasm');
    expect(started).toMatchObject({ ok: true, backend: 'wasm', version: '1.0.0' });
    if (!started.ok) return;
    expect(started.info.threads).toBe(1); // no cross-origin isolation here: the real count is reported
    expect(artifactRequests).toHaveLength(1);
    const got = await inferImage();
    expect(got.dims).toEqual([1, 2]);
    expect(maxAbsDiff(got.output, expected)).toBeLessThan(1e-4);
    // A batch of two tensors goes through as given.
    const tensor = nodeTensor(image).data;
    const batch = new Float32Array(tensor.length * 2);
    batch.set(tensor);
    batch.set(
      tensor.map((v) => -v),
      tensor.length,
    );
    const batchExpected = await nodeOutputs(clsModelBytes(), batch, [2, 3, 48, 192]);
    const batchGot = await page.evaluate(async (values) => {
      const out = await window.ef.runtime!.infer(new Float32Array(values), [2, 3, 48, 192]);
      return Array.from(out.output);
    }, Array.from(batch));
    expect(maxAbsDiff(batchGot, batchExpected)).toBeLessThan(1e-4);
  });

  it('moves a tensor to the Worker with { transfer: true } (no copy), copies it once otherwise', async () => {
    const moved = await inferTransferred(nodeTensor(image).data, { copyToo: true });
    expect(moved.detachedAtCall).toBe(true);
    expect(maxAbsDiff(moved.output, expected)).toBeLessThan(1e-4);
    expect(moved.keptIntact).toBe(true);
    expect(maxAbsDiff(moved.copyOutput, expected)).toBeLessThan(1e-4);
    expect(moved.again?.kind).toBe('input_invalid');
    expect(moved.again?.message).toMatch(/detached/);
  });

  it('refuses an input of the wrong shape with a typed error', async () => {
    const error = await page.evaluate(async () => {
      try {
        await window.ef.runtime!.infer(new Float32Array(10), [1, 10]);
        return null;
      } catch (e) {
        return { kind: (e as { kind?: string }).kind, message: (e as Error).message };
      }
    });
    expect(error?.kind).toBe('input_invalid');
    expect(error?.message).toMatch(/expected \[-1,3,48,192\], got \[1,10\]|input shape wrong/);
  });

  it('WebGPU path (SwiftShader) matches onnxruntime-node within 1e-4, and the second load uses the cache', async () => {
    const started = await startRuntime('auto');
    expect(started).toMatchObject({ ok: true, backend: 'webgpu' });
    if (!started.ok) return;
    expect(started.reason).toMatch(/WebGPU adapter .* passed the warm-up run/);
    expect(started.info.adapter).toBeTruthy();
    expect(started.info.fallbackReason).toBeUndefined();
    expect(artifactRequests).toHaveLength(1); // served from IndexedDB: no model request on the network
    const got = await inferImage();
    expect(got.backend).toBe('webgpu');
    expect(maxAbsDiff(got.output, expected)).toBeLessThan(1e-4);
    // The move on WebGPU too (SwiftShader is slow: one run).
    const moved = await inferTransferred(nodeTensor(image).data, { copyToo: false });
    expect(moved.detachedAtCall).toBe(true);
    expect(maxAbsDiff(moved.output, expected)).toBeLessThan(1e-4);
    expect(moved.again?.kind).toBe('input_invalid');
  }, 120_000); // SwiftShader runs WebGPU on the CPU: seconds per run on a loaded machine

  it('refuses a plan whose manifest does not match its signature', async () => {
    const tampered = { ...good, manifest: { ...good.manifest, version: '1.0.1' } };
    await fleet.publish([{ name: 'cls', current: tampered }]);
    try {
      const started = await startRuntime('wasm');
      expect(started).toMatchObject({ ok: false, kind: 'signature_invalid' });
      if (!started.ok) expect(started.message).toMatch(/bad_signature/);
    } finally {
      await fleet.publish([{ name: 'cls', current: good }]);
    }
  });

  it('refuses artifact bytes that do not match the signed sha256', async () => {
    const fresh = await context.browser()!.newContext(); // empty IndexedDB: the artifact must be downloaded
    const other = await fresh.newPage();
    try {
      await other.route('**/api/v1/artifacts/**', async (route) => {
        const response = await route.fetch();
        const body = Buffer.from(await response.body());
        body.writeUInt8(body.readUInt8(body.length - 1) ^ 0xff, body.length - 1);
        await route.fulfill({ response, body });
      });
      const started = await startRuntime('wasm', other);
      expect(started).toMatchObject({ ok: false, kind: 'integrity' });
      if (!started.ok) expect(started.message).toMatch(/expected sha256/);
    } finally {
      await fresh.close();
    }
  });

  it('says clearly when the plan has no such model or the key is wrong', async () => {
    await page.goto(site.url);
    await page.waitForFunction(() => window.ef !== undefined);
    const attempt = (model: string, key: string) =>
      page.evaluate(
        async ({ server, model, key }) => {
          try {
            await window.ef.start({ server, app: 'inspector', key, model, live: false, telemetry: false });
            return null;
          } catch (error) {
            return { kind: (error as { kind?: string }).kind, message: (error as Error).message };
          }
        },
        { server: fleet.t.url, model, key },
      );
    expect(await attempt('detector', fleet.key)).toMatchObject({
      kind: 'no_model',
      message: 'the plan of app inspector has no model detector',
    });
    expect(await attempt('cls', 'efp_not-a-real-key-000000000000')).toMatchObject({ kind: 'unauthorized' });
  });
});
