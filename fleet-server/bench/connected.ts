// Connected-devices cost curve: a real fleet server in its own process (bench/connected-server.ts), devices in two
// other processes (bench/agent-devices.mjs) that open their MQTT sessions like the agent does. Measured at 1,000 and
// at 10,000 connected devices: the server's RSS and heap per connected device (two full GCs before each reading),
// the connect time, and a desired-state fan-out (a rollout promoted to 100% of the connected devices, timed until the
// server has stored every device's state report acknowledging its new rev).
// Usage: pnpm bench  (env: BENCH_CONNECTED_DEVICES, default 10000; BENCH_CONNECTED_SNAPSHOT=<dir> writes heap snapshots)
import { type ChildProcess, execSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const DEVICES = Number(process.env.BENCH_CONNECTED_DEVICES ?? 10_000);
const WAVE1 = Math.min(1_000, DEVICES);
const SNAPSHOT_DIR = process.env.BENCH_CONNECTED_SNAPSHOT;
const deadline = setTimeout(() => {
  console.error('bench: exceeded 300 s, aborting');
  process.exit(2);
}, 300_000);
deadline.unref();

type Memory = NodeJS.MemoryUsage;
type Message = { type: string; [key: string]: unknown };

function next(child: ChildProcess, type: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Message) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`child exited with ${code} waiting for ${type}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function ask(child: ChildProcess, message: Message, answer: string): Promise<Message> {
  const reply = next(child, answer);
  child.send(message);
  return reply;
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-bench-connected-'));
  const here = (file: string) => new URL(file, import.meta.url);
  const server = fork(here('./connected-server.ts'), {
    execArgv: [
      '--expose-gc',
      '--import',
      'tsx',
      ...(process.env.BENCH_CONNECTED_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CONNECTED_CPU_PROF}`]
        : []),
    ],
    stdio: 'inherit',
  });
  const devices: ChildProcess[] = [];
  try {
    const ready = await ask(server, { type: 'init', dataDir, devices: DEVICES, wave1: WAVE1 }, 'ready');
    const ids = ready.ids as string[];
    const apiUrl = ready.apiUrl as string;
    const adminToken = ready.adminToken as string;
    const db = new Database(ready.dbPath as string, { readonly: true });
    const call = async (path: string, json: unknown) => {
      const res = await fetch(`${apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    };
    const memory = async () => (await ask(server, { type: 'memory' }, 'memory')).memory as Memory;
    const before = await memory();

    for (const _ of [0, 1]) {
      const child = fork(here('./agent-devices.mjs'), { stdio: 'inherit' });
      const started = next(child, 'ready');
      child.send({ port: ready.mqttPort, fleet: 'bench', model: 'cls' });
      await started;
      devices.push(child);
    }
    // Each process holds one socket per device (the server all of them, each device process half): 10,000 devices
    // need an open-file limit above 10,000 in the server process (not raised here: the bench fails loudly if low).
    const fdLimit = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
    console.log(
      `# server process ${server.pid}, devices in ${devices.map((d) => d.pid).join(', ')}; ulimit -n ${fdLimit}; load ${load()}`,
    );

    const acknowledged = (selector: string) =>
      (
        db
          .prepare(
            `select count(*) as n from devices where desired_rev > 0 and applied_rev >= desired_rev ${selector}`,
          )
          .get() as { n: number }
      ).n;
    const steps = [
      {
        connected: WAVE1,
        newIds: ids.slice(0, WAVE1),
        rollout: 'r1',
        candidate: '2.0.0',
        selector: 'wave=1',
      },
      { connected: DEVICES, newIds: ids.slice(WAVE1), rollout: 'r2', candidate: '3.0.0', selector: 'wave=2' },
    ];
    for (const step of steps) {
      if (step.newIds.length === 0) continue;
      const connectStart = performance.now();
      await Promise.all(
        devices.map((d, w) =>
          ask(d, { type: 'connect', ids: step.newIds.filter((_, i) => i % 2 === w) }, 'connected'),
        ),
      );
      const connectS = (performance.now() - connectStart) / 1000;
      await new Promise((r) => setTimeout(r, 1_000)); // hellos and presence written
      const after = await memory();
      if (SNAPSHOT_DIR)
        await ask(
          server,
          { type: 'snapshot', path: join(SNAPSHOT_DIR, `connected-${step.connected}.heapsnapshot`) },
          'snapshot',
        );
      const n = step.connected;
      const k = n >= 1000 ? `${n / 1000}k` : String(n);
      console.log(
        `server.connect_${k}_s: ${connectS.toFixed(2)} s (${step.newIds.length} new sessions; load ${load()})`,
      );
      console.log(
        `server.rss_per_connected_device_kb_${k}: ${kb((after.rss - before.rss) / n)} kB (rss ${kb(before.rss)} → ${kb(after.rss)} kB)`,
      );
      console.log(
        `server.heap_per_connected_device_kb_${k}: ${kb((after.heapUsed - before.heapUsed) / n)} kB (external + buffers ${kb((after.external - before.external) / n)} kB)`,
      );
      if (n === DEVICES)
        console.log(
          `server.rss_per_connected_device_kb: ${kb((after.rss - before.rss) / n)} kB (${n} devices)`,
        );

      await call('/api/v1/rollouts', {
        id: step.rollout,
        model: 'cls',
        candidate: step.candidate,
        baseline: '1.0.0',
        target: { selector: step.selector },
        stages: '100%',
        minReportingTargets: 0,
        minInferences: 0,
      });
      const start = performance.now();
      await call(`/api/v1/rollouts/${step.rollout}/promote`, { reason: 'bench' });
      const published = performance.now();
      while (acknowledged('') < n) await new Promise((r) => setTimeout(r, 20));
      const fanoutS = (performance.now() - start) / 1000;
      console.log(
        `server.fanout_${k}_s: ${fanoutS.toFixed(2)} s (publish ${((published - start) / 1000).toFixed(2)} s, ${step.newIds.length} new desired states, every state report stored; load ${load()})`,
      );
    }
    db.close();
  } finally {
    for (const d of devices) {
      if (d.exitCode === null && d.connected)
        await Promise.race([
          ask(d, { type: 'close' }, 'closed').catch(() => undefined),
          new Promise((r) => setTimeout(r, 5_000)),
        ]);
      d.kill();
    }
    if (server.exitCode === null && server.connected) {
      // Let it exit by itself (a --cpu-prof profile is written at exit).
      const exited = new Promise((r) => server.once('exit', r));
      server.send({ type: 'close' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
clearTimeout(deadline);
