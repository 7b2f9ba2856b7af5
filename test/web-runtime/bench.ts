// Browser runtime benchmark (run by `pnpm --filter @edgefleet/web-runtime bench`): in one Chromium run, the
// runtime's `infer` p50 against raw onnxruntime-web `session.run` on the same model, backend and input, and the
// runtime's own gzipped JS (without onnxruntime-web, which the app serves as separate files).
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { launchChromium } from '../browser/chromium';
import { bundleRuntime, RUNTIME_ROOT, servePage } from './assets';
import { clsModelBytes, startFleet } from './fleet';

// performance.now() is coarsened to 100 µs without cross-origin isolation: time blocks of calls, take the
// median of the per-call block means.
const ROUNDS = 15;
const PER_ROUND = 10;
/** SwiftShader runs WebGPU on the CPU (about 2 s per inference here): fewer, shorter rounds. */
const WEBGPU_ROUNDS = 5;
const WEBGPU_PER_ROUND = 2;
const DIMS = [1, 3, 48, 192];

/**
 * Gzipped JS of the runtime as Vite builds it (library build of `src/index.ts`, ORT excluded: it is loaded at run
 * time from the app's `/ort/`): the entry chunk (with the chunks it loads eagerly), the Worker, and the chunks
 * loaded only on demand (sample capture: only when the app plan carries a capture policy). `minified` is what an app's production build
 * ships (Vite's lib mode keeps whitespace in ES output so that the app's bundler can still tree-shake and
 * minify); `lib` is the lib-mode output as it is.
 */
async function bundleSizes(): Promise<{ minified: BundleKb; lib: BundleKb }> {
  const measure = async (minify: boolean): Promise<BundleKb> => {
    const output = await viteBuild({
      configFile: false,
      root: RUNTIME_ROOT,
      logLevel: 'silent',
      worker: { format: 'es', rolldownOptions: { output: { minify } } },
      build: {
        write: false,
        target: 'es2022',
        lib: { entry: `${RUNTIME_ROOT}/src/index.ts`, formats: ['es'], fileName: 'index' },
        ...(minify ? { rolldownOptions: { output: { minify: true } } } : {}),
      },
    });
    const files = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const sizes = { entryKb: 0, workerKb: 0, lazyKb: 0 };
    for (const file of files) {
      const code = file.type === 'chunk' ? file.code : file.source;
      if (!file.fileName.endsWith('.js')) continue;
      const kb = gzipSync(code, { level: 9 }).byteLength / 1024;
      if (file.fileName.includes('worker')) sizes.workerKb += kb;
      else if (file.type === 'chunk' && file.isDynamicEntry) sizes.lazyKb += kb;
      else sizes.entryKb += kb;
    }
    return sizes;
  };
  return { minified: await measure(true), lib: await measure(false) };
}

interface BundleKb {
  entryKb: number;
  workerKb: number;
  lazyKb: number;
}

/**
 * Per-call block means of raw `session.run` (onnxruntime-web in the page's main thread) and of the runtime's
 * `infer`, alternating blocks in the same page so that both see the same machine load.
 */
async function compare(
  page: Page,
  options: {
    server: string;
    key: string;
    backend: 'wasm' | 'webgpu';
    model: number[];
    rounds: number;
    perRound: number;
  },
): Promise<{ raw: number[]; ours: number[] }> {
  return page.evaluate(
    async ({ options, dims }) => {
      // No named helpers in here: tsx's keepNames would reference a `__name` the page does not have.
      const { backend, model, rounds, perRound, server, key } = options;
      const rt = await window.ef.start({
        server,
        key,
        backend,
        app: 'inspector',
        model: 'cls',
        live: false,
        // Telemetry on, as apps run it: feature extraction is part of what the runtime adds.
        telemetry: { windowMs: 60_000 },
      });
      if (rt.backend !== backend) throw new Error(`runtime on ${rt.backend}: ${rt.backendReason}`);
      const file = backend === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
      const ort = await import(/* @vite-ignore */ `${location.origin}/ort/${file}`);
      ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(new Uint8Array(model), {
        executionProviders: [backend],
      });
      const data = new Float32Array(dims.reduce((a: number, b: number) => a * b, 1)).fill(0.25);
      const raw: number[] = [];
      const ours: number[] = [];
      for (let r = -1; r < rounds; r++) {
        let t0 = performance.now();
        for (let i = 0; i < perRound; i++) {
          const out = await session.run({ x: new ort.Tensor('float32', data, dims) });
          for (const t of Object.values(out) as { getData(): Promise<unknown>; dispose(): void }[]) {
            await t.getData();
            t.dispose();
          }
        }
        if (r >= 0) raw.push((performance.now() - t0) / perRound);
        t0 = performance.now();
        for (let i = 0; i < perRound; i++) await rt.infer(data, dims);
        if (r >= 0) ours.push((performance.now() - t0) / perRound);
      }
      await session.release();
      await rt.close();
      return { raw, ours };
    },
    { options, dims: DIMS },
  );
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const [fleet, bundle, browser] = await Promise.all([
    startFleet(),
    bundleRuntime(),
    launchChromium({ webgpu: true }),
  ]);
  const site = await servePage(bundle);
  let b: Browser | undefined = browser;
  try {
    const ref = await fleet.register('1.0.0', clsModelBytes());
    await fleet.publish([{ name: 'cls', current: ref }]);
    const model = Array.from(clsModelBytes());
    // `EF_BENCH_BACKENDS=wasm` measures one backend while profiling; the bench proper runs both.
    const only = process.env.EF_BENCH_BACKENDS?.split(',');
    for (const backend of (['wasm', 'webgpu'] as const).filter((b) => !only || only.includes(b))) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => window.ef !== undefined);
      const rounds = backend === 'wasm' ? ROUNDS : WEBGPU_ROUNDS;
      const perRound = backend === 'wasm' ? PER_ROUND : WEBGPU_PER_ROUND;
      const { raw, ours } = await compare(page, {
        server: fleet.t.url,
        key: fleet.key,
        backend,
        model,
        rounds,
        perRound,
      });
      const rawP50 = median(raw);
      const oursP50 = median(ours);
      console.log(`web.${backend}.raw_p50_ms: ${rawP50.toFixed(3)} ms`);
      console.log(`web.${backend}.infer_p50_ms: ${oursP50.toFixed(3)} ms`);
      console.log(`web.${backend}.overhead_ratio: ${(oursP50 / rawP50).toFixed(3)}`);
      await context.close();
    }
    const sizes = await bundleSizes();
    const { minified, lib } = sizes;
    console.log(`web.bundle_entry_gzip_kb: ${minified.entryKb.toFixed(1)} kB`);
    console.log(`web.bundle_worker_gzip_kb: ${minified.workerKb.toFixed(1)} kB`);
    console.log(`web.bundle_lazy_capture_gzip_kb: ${minified.lazyKb.toFixed(1)} kB`);
    console.log(`web.bundle_lib_unminified_gzip_kb: ${(lib.entryKb + lib.workerKb).toFixed(1)} kB`);
    console.log(`web.bundle_gzip_kb: ${(minified.entryKb + minified.workerKb).toFixed(1)} kB`);
  } finally {
    await b?.close();
    b = undefined;
    await site.close();
    await fleet.dispose();
  }
}

await main();
