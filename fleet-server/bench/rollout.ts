// Rollout benchmark. (1) Fan-out: 10,000 simulated devices (real MQTT clients) on a
// running server (in two child processes); a rollout is promoted from 1% to 100% and we time until the server has stored every
// device's state report acknowledging its new desired rev. (2) The controller's pure decision for a rollout
// over 100,000 targets, next to the raw bucketing of the same targets (the floor of any decision).
// Usage: pnpm bench  (env: BENCH_ROLLOUT_DEVICES, default 10000; BENCH_ROLLOUT_PART=decide|fanout)

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketOf } from '@edgefleet/shared';
import { sql } from 'drizzle-orm';
import { resolveConfig } from '../src/config';
import { createLogger } from '../src/logging';
import { decide } from '../src/rollouts/decide';
import { driftValue, healthyFacts, sampleRollout, sampleTargets } from '../src/rollouts/fixtures';
import { insertSimDevices } from '../src/rollouts/sim-fleet';
import { registerClsVersions } from '../src/rollouts/test-support';
import { startServer } from '../src/server';
import { adminCaller } from '../src/testing/harness';

const DEVICES = Number(process.env.BENCH_ROLLOUT_DEVICES ?? 10_000);
const DECIDE_TARGETS = 100_000;
const deadline = setTimeout(() => {
  console.error('bench: exceeded 240 s, aborting');
  process.exit(2);
}, 240_000);
deadline.unref();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function benchDecide(): void {
  const targets = sampleTargets(DECIDE_TARGETS);
  const rollout = sampleRollout({
    stages: [
      { percent: 5, minDurationMs: 0, minReportingTargets: 1, minInferences: 1 },
      { percent: 25, minDurationMs: 0, minReportingTargets: 1, minInferences: 1 },
      { percent: 100, minDurationMs: 0, minReportingTargets: 1, minInferences: 1 },
    ],
  });
  const facts = healthyFacts(targets);
  const raw: number[] = [];
  const decided: number[] = [];
  let changes = 0;
  for (let run = 0; run < 7; run++) {
    let start = performance.now();
    let sink = 0;
    for (const t of targets) sink += bucketOf(t.id, 'salt-1') < 2_500 ? 1 : 0;
    raw.push(performance.now() - start);
    start = performance.now();
    const decision = decide(rollout, facts, 60_000); // advances 5% → 25%: 100k memberships, ~25k changes
    decided.push(performance.now() - start);
    changes = decision.changes.length + sink * 0;
  }
  // The same decision with 50 gated features (48 inputs, 2 outputs, PSI and error rate): every gate an interval.
  const wide = healthyFacts(targets);
  wide.candidate.drift = {
    inputs: Array.from({ length: 48 }, (_, i) => driftValue(`f${i}`, 10_000)),
    outputs: [driftValue('confidence', 10_000), driftValue('margin', 10_000)],
  };
  const gated = { ...rollout, spec: { ...rollout.spec, gates: { maxPsi: 0.25, maxErrorRate: 0.02 } } };
  const decided50: number[] = [];
  let verdict = '';
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    const decision = decide(gated, wide, 60_000);
    decided50.push(performance.now() - start);
    verdict = decision.evaluation?.verdict ?? 'none';
  }
  console.log(`rollout.decide_100k_ms: ${median(decided).toFixed(1)} ms`);
  console.log(`rollout.decide_100k_50_features_ms: ${median(decided50).toFixed(1)} ms (verdict ${verdict})`);
  console.log(`rollout.decide_100k_bucket_baseline_ms: ${median(raw).toFixed(1)} ms`);
  console.log(`rollout.decide_100k_changes: ${changes} targets`);
}

type FromWorker = { type: 'ready' | 'applied' | 'closed'; applied?: number };

function waitFor(child: ChildProcess, type: FromWorker['type']): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve();
    };
    child.on('message', onMessage);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`device process exited with ${code}`)),
    );
  });
}

async function benchFanout(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-rollout-'));
  const server = await startServer(
    resolveConfig({
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      mqttPort: 0,
      logLevel: 'silent',
      fleet: 'bench',
      rolloutTickMs: 60_000,
      maxJsonBytes: 4_000_000,
    }),
    { logger: createLogger('silent') },
  );
  const adminToken = server.adminToken!;
  const call = adminCaller(() => server.url, adminToken);
  const workers: ChildProcess[] = [];
  try {
    await registerClsVersions({ call }, ['1.0.0', '2.0.0']);
    const { db } = server.context;
    const ids = insertSimDevices(db, 'bench', DEVICES, { site: 'bench' }, Date.now());
    const port = Number(new URL(server.context.endpoints.mqttUrl).port);
    const connectStart = performance.now();
    for (const w of [0, 1]) {
      const child = fork(new URL('./rollout-devices.mjs', import.meta.url), { stdio: 'inherit' });
      child.send({ port, fleet: 'bench', model: 'cls', ids: ids.filter((_, i) => i % 2 === w) });
      workers.push(child);
    }
    await Promise.all(workers.map((w) => waitFor(w, 'ready')));
    console.log(
      `rollout.fanout_connect_s: ${((performance.now() - connectStart) / 1000).toFixed(2)} s (${DEVICES} clients)`,
    );
    const acknowledged = () =>
      db.get<{ n: number }>(
        sql`select count(*) as n from devices where desired_rev > 0 and applied_rev >= desired_rev`,
      )!.n;
    const created = await call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'bench',
        model: 'cls',
        candidate: '2.0.0',
        baseline: '1.0.0',
        target: { selector: 'site=bench' },
        stages: '1%:1h,100%',
        minReportingTargets: 0,
        minInferences: 0,
      },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
    // Stage 1 (1%) starts by promote, then the measured stage change: promote to 100%.
    await call('/api/v1/rollouts/bench/promote', { method: 'POST', json: { reason: 'bench start' } });
    while (acknowledged() < Math.floor(DEVICES * 0.005)) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    const before = acknowledged();
    const start = performance.now();
    const res = await call('/api/v1/rollouts/bench/promote', {
      method: 'POST',
      json: { reason: 'bench: 100%' },
    });
    if (res.status !== 200) throw new Error(`promote: ${res.status} ${await res.text()}`);
    const published = performance.now();
    while (acknowledged() < DEVICES) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `rollout.fanout_10k_s: ${seconds.toFixed(2)} s (${DEVICES} devices, ${DEVICES - before} new desired states)`,
    );
    console.log(
      `rollout.fanout_publish_s: ${((published - start) / 1000).toFixed(2)} s (stage change committed and every desired state published)`,
    );
  } finally {
    for (const w of workers) {
      if (w.exitCode === null && w.connected) w.send({ type: 'close' });
      await Promise.race([
        waitFor(w, 'closed').catch(() => undefined),
        new Promise((r) => setTimeout(r, 3_000)),
      ]);
      w.kill();
    }
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const part = process.env.BENCH_ROLLOUT_PART; // 'decide' or 'fanout' to run one part
if (part !== 'fanout') benchDecide();
if (part !== 'decide') await benchFanout();
clearTimeout(deadline);
