// `agent.telemetry.delay_ratio_under_sample_backlog` (issue 15): how long a telemetry report takes from the moment
// the agent produced it (its window closed) to the moment the real fleet server stored it, for an agent whose large
// sample backlog uploads all along, against an agent with no backlog — two agent processes side by side on the same
// server, broker and inference load, measured over the same seconds. Prints `name: value unit` lines.
// Run by `pnpm --filter @edgefleet/agent bench` (after agent/bench/run.ts), or alone: `npx tsx <this file>`.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enroll } from '@edgefleet/agent';
import type { CapturePolicy, SampleMeta } from '@edgefleet/shared/capture';
import sharp from 'sharp';
import { AGENT_NODE_FLAGS } from '../../agent/scripts/node-flags.mjs';
import { CaptureStore } from '../../agent/src/capture/store';
import { schema } from '../../fleet-server/src/db';
import { startTestServer } from '../../fleet-server/src/testing/harness';
import { freePort, publishDesired, registerCls, stripesPng, until } from './fleet';

/** Samples waiting on the backlog agent at start, each a distinct ~300 kB PNG (noise does not compress). */
const BACKLOG_SAMPLES = 240;
const SAMPLE_SIDE_PX = 320;
/** The backlog agent's upload bound: 4× the default, so its uploads run back to back all through the measurement. */
const UPLOAD_BYTES_PER_S = 1024 * 1024;
const WINDOW_MS = 1_000;
const MEASURE_MS = 40_000;
/** One inference per agent every this often (both agents alike): every window makes a report. */
const INFER_EVERY_MS = 100;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** A distinct PNG of noise per `i` (its first row carries `i`). */
async function noisePng(i: number): Promise<Buffer> {
  const raw = Buffer.alloc(SAMPLE_SIDE_PX * SAMPLE_SIDE_PX * 3);
  let x = (i + 1) * 2_654_435_761;
  for (let k = 0; k < raw.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[k] = x & 0xff;
  }
  raw.writeUInt32LE(i, 0);
  return sharp(raw, { raw: { width: SAMPLE_SIDE_PX, height: SAMPLE_SIDE_PX, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** Queues `count` samples in the device's `capture.db`, as its capture would have (before the agent starts). */
async function fillBacklog(dataDir: string, clientId: string, count: number): Promise<number> {
  const store = new CaptureStore(join(dataDir, 'capture.db'));
  let bytes = 0;
  try {
    for (let i = 0; i < count; i++) {
      const content = await noisePng(i);
      const now = Date.now();
      const meta: SampleMeta = {
        v: 1,
        clientId,
        sha256: createHash('sha256').update(content).digest('hex'),
        contentType: 'image/png',
        sizeBytes: content.length,
        width: SAMPLE_SIDE_PX,
        height: SAMPLE_SIDE_PX,
        model: { name: 'cls', version: '1.0.0' },
        capturedAt: now,
        reasons: ['random'],
      };
      store.insert({
        sha256: meta.sha256,
        capturedMs: now,
        sizeBytes: content.length,
        meta: JSON.stringify(meta),
        content,
      });
      bytes += content.length;
    }
  } finally {
    store.close();
  }
  return bytes;
}

/** Starts `edgefleet-agent run` in its own process (the shipped bin and node flags); resolves with its API URL. */
async function spawnAgent(dataDir: string, extra: string[]): Promise<{ url: string; child: ChildProcess }> {
  const bin = fileURLToPath(new URL('../../agent/bin/edgefleet-agent.js', import.meta.url));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      bin,
      'run',
      '--data-dir',
      dataDir,
      '--http-port',
      String(port),
      '--threads',
      '1',
      '--log-level',
      'warn',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) resolve();
    });
  });
  child.stdout!.resume();
  return { url: `http://127.0.0.1:${port}`, child };
}

interface AgentStatus {
  connected: boolean;
  appliedRev: number;
  capture: { uploaded: number; queue: { samples: number; bytes: number } };
  outbox: { pending: number };
}
const statusOf = async (url: string) => (await (await fetch(`${url}/v1/status`)).json()) as AgentStatus;

const loadBefore = load();
const t = await startTestServer({ mqttPort: await freePort() });
// The harness clock is manual; this bench reads receive times, so the server runs on the real clock.
Object.defineProperty(t.clock, 'nowMs', { get: () => Date.now() });
const dirs: string[] = [];
const children: ChildProcess[] = [];
try {
  const ref = await registerCls(t, '1.0.0');
  const devices = { backlog: 'bench-backlog', quiet: 'bench-quiet' } as const;
  const dataDirs = { backlog: '', quiet: '' };
  for (const role of ['backlog', 'quiet'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `ef-bench-delay-${role}-`));
    dirs.push(dir);
    dataDirs[role] = dir;
    const token = (await (
      await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: {} } })
    ).json()) as { token: string };
    await enroll({ server: t.url, token: token.token, dataDir: dir, deviceId: devices[role], labels: {} });
  }
  // The server takes the backlog device's samples (opt-in); the policy itself captures nothing new (rate 0), so the
  // backlog agent's only extra work is uploading what waits.
  const policy: CapturePolicy = {
    random: { rate: 0 },
    budget: { maxSamplesPerDay: 100_000, maxBytesPerDay: 1024 * 1024 * 1024 },
    clientRetentionDays: 7,
  };
  const setting = await t.call('/api/v1/models/cls/capture', {
    method: 'PUT',
    json: { target: { devices: [devices.backlog] }, policy },
  });
  if (setting.status !== 200) throw new Error(`capture setting ${setting.status}: ${await setting.text()}`);
  const backlogBytes = await fillBacklog(dataDirs.backlog, devices.backlog, BACKLOG_SAMPLES);

  const backlog = await spawnAgent(dataDirs.backlog, [
    '--capture-upload-bytes-per-s',
    String(UPLOAD_BYTES_PER_S),
  ]);
  children.push(backlog.child);
  const quiet = await spawnAgent(dataDirs.quiet, []);
  children.push(quiet.child);
  const urls = { backlog: backlog.url, quiet: quiet.url };
  const telemetry = { windowMs: WINDOW_MS, maxInFlight: 4, outboxMaxReports: 1000 };
  for (const role of ['backlog', 'quiet'] as const) {
    await until(async () => (await statusOf(urls[role])).connected, 20_000, `${role} connected`);
    const desired = await publishDesired(
      t,
      devices[role],
      { active: ref },
      { telemetry, ...(role === 'backlog' ? { capture: policy } : {}) },
    );
    await until(
      async () => (await statusOf(urls[role])).appliedRev >= desired.rev,
      30_000,
      `${role} applied`,
    );
  }

  const png = await stripesPng();
  const infer = (url: string) =>
    fetch(`${url}/v1/infer?outputs=false`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
    }).then((r) => r.arrayBuffer());
  // Warm-up: a few windows on both, so neither side pays a first-report cost inside the measurement.
  const warmEnd = Date.now() + 3 * WINDOW_MS;
  while (Date.now() < warmEnd) {
    await Promise.all([infer(urls.quiet), infer(urls.backlog)]);
    await new Promise((r) => setTimeout(r, INFER_EVERY_MS));
  }
  const before = await statusOf(urls.backlog);
  const startMs = Date.now();
  let i = 0;
  while (Date.now() - startMs < MEASURE_MS) {
    // Which one is asked first flips every turn, so neither always waits behind the other.
    const order = i++ % 2 ? [urls.quiet, urls.backlog] : [urls.backlog, urls.quiet];
    for (const url of order) await infer(url);
    await new Promise((r) => setTimeout(r, INFER_EVERY_MS));
  }
  const endMs = Date.now();
  const after = await statusOf(urls.backlog);
  // The last windows of the measurement reach the server.
  await new Promise((r) => setTimeout(r, 3 * WINDOW_MS));

  const rows = t.server.context.db.select().from(schema.telemetryReports).all();
  const delays = (clientId: string) =>
    rows
      .filter((r) => r.clientId === clientId && r.windowEndMs > startMs && r.windowEndMs <= endMs)
      .map((r) => r.receivedAt - r.windowEndMs);
  const withBacklog = delays(devices.backlog);
  const without = delays(devices.quiet);
  if (withBacklog.length < 10 || without.length < 10)
    throw new Error(`too few reports: ${withBacklog.length} with backlog, ${without.length} without`);
  const uploaded = after.capture.uploaded - before.capture.uploaded;
  if (uploaded === 0 || after.capture.queue.samples === 0)
    throw new Error(
      `the backlog did not upload all through the measurement (${uploaded} uploaded, ${after.capture.queue.samples} left)`,
    );
  const p50 = { with: quantile(withBacklog, 0.5), without: quantile(without, 0.5) };
  const p90 = { with: quantile(withBacklog, 0.9), without: quantile(without, 0.9) };
  console.log(
    `agent.telemetry.sample_backlog: ${BACKLOG_SAMPLES} samples, ${(backlogBytes / 2 ** 20).toFixed(1)} MiB at start; ${uploaded} uploaded during the ${MEASURE_MS / 1000} s measurement (bound ${UPLOAD_BYTES_PER_S / 1024} kB/s), ${after.capture.queue.samples} still waiting`,
  );
  console.log(
    `agent.telemetry.reports_measured: ${withBacklog.length} with backlog, ${without.length} without`,
  );
  console.log(`agent.telemetry.delay_p50_ms_with_backlog: ${p50.with.toFixed(1)} ms`);
  console.log(`agent.telemetry.delay_p50_ms_without_backlog: ${p50.without.toFixed(1)} ms`);
  console.log(`agent.telemetry.delay_p90_ms_with_backlog: ${p90.with.toFixed(1)} ms`);
  console.log(`agent.telemetry.delay_p90_ms_without_backlog: ${p90.without.toFixed(1)} ms`);
  // The figure of issue 15 is the ratio of the medians (a p90 over ~40 reports is one or two reports on a shared box).
  console.log(
    `agent.telemetry.delay_ratio_under_sample_backlog: ${(Math.max(p50.with, 1) / Math.max(p50.without, 1)).toFixed(3)} (p50; the p90 ratio: ${(Math.max(p90.with, 1) / Math.max(p90.without, 1)).toFixed(3)})`,
  );
  console.log(`agent.telemetry.delay_bench_load: ${loadBefore} before, ${load()} after (1/5/15 min)`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
  );
  await t.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
