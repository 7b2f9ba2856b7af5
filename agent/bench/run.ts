// Agent benchmarks against raw onnxruntime-node in the same run. Prints `name: value unit` lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImagePreprocessing } from '@edgefleet/shared';
import { serve } from '@hono/node-server';
import * as ort from 'onnxruntime-node';
import pino from 'pino';
import sharp from 'sharp';
import { AGENT_NODE_FLAGS } from '../scripts/node-flags.mjs';
import { createApi } from '../src/http/app';
import { ModelSession, type SessionOptions } from '../src/runtime/model-session';
import { ortSessionOptions } from '../src/runtime/runner';
import type { AgentTensor } from '../src/runtime/tensor';
import { ServingEngine } from '../src/serving/engine';
import { TelemetryWindows } from '../src/telemetry/windows';
import { CLS_MODEL_PATH, CLS_PREPROCESSING, DET_MODEL_PATH, localModel } from '../src/testing/cls';
import { captureOverhead } from './capture';
import { eventLoopDuringDet } from './event-loop';
import { feedbackOverhead } from './feedback';

const THREADS = Math.max(1, Math.min(4, availableParallelism()));
const OPTIONS: SessionOptions = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};
const logger = pino({ level: 'silent' });

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * Raw `session.run` (an onnxruntime-node session in this process, the agent's options) and the agent path
 * (placed where the agent places it: inline or in its own process) on the same input, alternating calls so
 * drift hits both alike. Intra-op threads never spin, so the idle side does not compete with the other.
 */
async function compare(
  name: string,
  modelPath: string,
  prep: ImagePreprocessing,
  classes: string[] | undefined,
  iters: number,
) {
  const session = await ModelSession.load(localModel(modelPath, '1.0.0', prep, classes), OPTIONS);
  const raw = await ort.InferenceSession.create(modelPath, ortSessionOptions(OPTIONS));
  const windows = new TelemetryWindows();
  const engine = new ServingEngine(windows, logger);
  engine.switchTo({ active: session, shadow: null, standby: null });
  const n = 3 * prep.width * prep.height;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 0.9;
  const dims = [1, 3, prep.height, prep.width];
  const tensor: AgentTensor = { data, dims, dtype: 'float32' };
  const rawInput = new ort.Tensor('float32', data, dims);
  for (let i = 0; i < 5; i++) {
    await raw.run({ x: rawInput });
    await engine.infer({ kind: 'tensor', tensor });
  }
  const rawMs: number[] = [];
  const agentMs: number[] = [];
  const inlineMs: number[] = [];
  // A caller that waits for each answer: the event loop turns between requests (as it does between HTTP
  // requests), so the statistics the agent takes after an answer run there — untimed for both sides.
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const block = 1; // strict alternation: load spikes on a shared box hit both sides alike
  for (let b = 0; b < iters / block; b++) {
    for (let i = 0; i < block; i++) {
      const t0 = performance.now();
      await raw.run({ x: new ort.Tensor('float32', data, dims) });
      rawMs.push(performance.now() - t0);
      await turn();
    }
    for (let i = 0; i < block; i++) {
      const t0 = performance.now();
      await engine.infer({ kind: 'tensor', tensor });
      agentMs.push(performance.now() - t0);
      await turn();
    }
    // For comparison: the statistics taken before answering, as the agent did until they were deferred.
    for (let i = 0; i < block; i++) {
      const t0 = performance.now();
      await engine.infer({ kind: 'tensor', tensor });
      windows.runDeferred();
      inlineMs.push(performance.now() - t0);
      await turn();
    }
  }
  // Back to back, never yielding: the statistics' CPU cost lands on the next calls (saturated throughput).
  const busyIters = Math.max(20, iters >> 2);
  let rawBusyMs = 0;
  let agentBusyMs = 0;
  for (let round = 0; round < 4; round++) {
    let t0 = performance.now();
    for (let i = 0; i < busyIters / 4; i++) await raw.run({ x: new ort.Tensor('float32', data, dims) });
    rawBusyMs += performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < busyIters / 4; i++) await engine.infer({ kind: 'tensor', tensor });
    agentBusyMs += performance.now() - t0;
    await turn();
  }
  const r50 = quantile(rawMs, 0.5);
  const a50 = quantile(agentMs, 0.5);
  console.log(`agent.${name}.placement: ${session.placement}`);
  console.log(`agent.${name}.raw_p50_ms: ${r50.toFixed(3)} ms`);
  console.log(`agent.${name}.raw_p95_ms: ${quantile(rawMs, 0.95).toFixed(3)} ms`);
  console.log(`agent.${name}.p50_ms: ${a50.toFixed(3)} ms`);
  console.log(`agent.${name}.p95_ms: ${quantile(agentMs, 0.95).toFixed(3)} ms`);
  console.log(`agent.${name}.overhead_ratio: ${(a50 / r50).toFixed(3)}`);
  console.log(
    `agent.${name}.overhead_ratio_p95: ${(quantile(agentMs, 0.95) / quantile(rawMs, 0.95)).toFixed(3)}`,
  );
  console.log(`agent.${name}.busy_overhead_ratio: ${(agentBusyMs / rawBusyMs).toFixed(3)}`);
  console.log(`agent.${name}.inline_stats_overhead_ratio: ${(quantile(inlineMs, 0.5) / r50).toFixed(3)}`);
  await raw.release();
  return { session, engine };
}

async function http(engine: ServingEngine, iters: number) {
  const app = createApi({ engine, maxBodyBytes: 16 << 20, status: () => ({}) });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/infer?outputs=false`;
  const png = await sharp({ create: { width: 192, height: 48, channels: 3, background: '#7f7f7f' } })
    .png()
    .toBuffer();
  const ms: number[] = [];
  for (let i = 0; i < iters + 10; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
    await res.arrayBuffer();
    if (i >= 10) ms.push(performance.now() - t0);
  }
  console.log(`agent.cls.http_p50_ms: ${quantile(ms, 0.5).toFixed(3)} ms`);
  console.log(`agent.cls.http_p95_ms: ${quantile(ms, 0.95).toFixed(3)} ms`);
  server.close();
}

/** RSS of the bundled agent (no tsx) against a raw ORT script, each in a fresh process. */
function rss(): void {
  const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
  const built = spawnSync(process.execPath, [here('../scripts/build.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);
  // Both sides under the node flags the agent ships with (bin shebang, bundled CLI); the raw script's
  // RSS does not depend on them (measured), the agent's does: the line without them stays in view.
  const run = (args: string[], flags: readonly string[] = AGENT_NODE_FLAGS) => {
    const r = spawnSync(process.execPath, ['--expose-gc', ...flags, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return Number(r.stdout.trim().split('\n').at(-1)) / (1024 * 1024);
  };
  const median = (f: () => number) => quantile([f(), f(), f()], 0.5);
  // The agent side installs the cls model as a stored version whose manifest matches the file, since the
  // agent verifies installed models again at start and serves none that fail.
  const recordDir = mkdtempSync(join(tmpdir(), 'agent-rss-record-'));
  const recordPath = join(recordDir, 'cls.json');
  const { ref, spec } = localModel(CLS_MODEL_PATH, '1.0.0');
  writeFileSync(recordPath, JSON.stringify({ ref, spec }));
  const rawArgs = [here('./rss-raw.mjs'), CLS_MODEL_PATH, String(THREADS)];
  const agentArgs = [here('./rss-agent.mjs'), CLS_MODEL_PATH, String(THREADS), recordPath];
  let raw: number, agent: number, full: number, rawDefault: number, agentDefault: number;
  try {
    raw = median(() => run(rawArgs));
    agent = median(() => run(agentArgs));
    full = median(() => run([...agentArgs, 'full']));
    rawDefault = median(() => run(rawArgs, []));
    agentDefault = median(() => run(agentArgs, []));
  } finally {
    rmSync(recordDir, { recursive: true, force: true });
  }
  console.log(`agent.rss_node_flags: ${AGENT_NODE_FLAGS.join(' ')}`);
  console.log(`agent.rss_raw_mb: ${raw.toFixed(1)} MB`);
  console.log(`agent.rss_agent_mb: ${agent.toFixed(1)} MB`);
  console.log(`agent.rss_delta_mb: ${(agent - raw).toFixed(1)} MB`);
  console.log(`agent.rss_delta_with_sharp_mqtt_mb: ${(full - raw).toFixed(1)} MB`);
  console.log(`agent.rss_delta_default_node_flags_mb: ${(agentDefault - rawDefault).toFixed(1)} MB`);
}

/**
 * RSS growth over hot swaps (onnxruntime #25325): load, warm up, serve, release — `count` times, inline and
 * with each version in its own process (the process, and what onnxruntime kept, ends with the version).
 */
async function swaps(count: number, placement: 'inline' | 'process'): Promise<void> {
  const engine = new ServingEngine(new TelemetryWindows(), logger);
  const tensor: AgentTensor = {
    data: new Float32Array(3 * 48 * 192).fill(0.1),
    dims: [1, 3, 48, 192],
    dtype: 'float32',
  };
  let rssAfter10 = 0;
  const pids: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = await ModelSession.load(localModel(CLS_MODEL_PATH, `1.0.${i}`), { ...OPTIONS, placement });
    await next.warmUp(1);
    if (next.pid) pids.push(next.pid);
    const retired = engine.switchTo({ active: next, shadow: null, standby: null });
    await Promise.all(retired.map((s) => s.release()));
    await engine.infer({ kind: 'tensor', tensor });
    if (i === 9) rssAfter10 = process.memoryUsage().rss;
  }
  const growth = (process.memoryUsage().rss - rssAfter10) / (1024 * 1024);
  const suffix = placement === 'inline' ? '' : `_${placement}`;
  console.log(`agent.swap_rss_growth${suffix}_mb: ${growth.toFixed(1)} MB (swaps 10 to ${count})`);
  await Promise.all(engine.switchTo({ active: null, shadow: null, standby: null }).map((s) => s.release()));
  if (placement === 'process') {
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    console.log(`agent.swap_processes_left: ${alive.length} (of ${pids.length} started)`);
  }
}

const quick = process.argv.includes('--quick');
console.log(`agent.threads: ${THREADS}`);
const cls = await compare('cls', CLS_MODEL_PATH, CLS_PREPROCESSING, ['0', '180'], quick ? 100 : 600);
await http(cls.engine, quick ? 50 : 300);
await feedbackOverhead(cls.session, quick ? 200 : 1000);
await captureOverhead(cls.session, quick ? 200 : 1000);
const det = await compare(
  'det320',
  DET_MODEL_PATH,
  { ...CLS_PREPROCESSING, width: 320, height: 320 },
  undefined,
  quick ? 20 : 100,
);
const detInline = await ModelSession.load(
  localModel(DET_MODEL_PATH, '1.0.0', { ...CLS_PREPROCESSING, width: 320, height: 320 }, undefined),
  { ...OPTIONS, placement: 'inline' },
);
await eventLoopDuringDet(det.session, detInline, quick ? 1_500 : 4_000);
await Promise.all([cls.session.release(), det.session.release(), detInline.release()]);
await swaps(quick ? 20 : 50, 'inline');
await swaps(quick ? 20 : 50, 'process');
rss();
