import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, DatasetSample, ModelVersionView, SamplePage } from '@edgefleet/shared/api';
import { afterAll, describe, expect, it } from 'vitest';
import { QUALITY_GATES } from '../../demo/src/rollouts';
import { readTar } from '../../demo/src/tar';
import { launchChromium } from '../browser/chromium';

// `pnpm demo` as a user runs it (node demo/bin/demo.js): a real fleet server, real agent processes running the
// real cls model on generated images, the built browser demo page. Stage durations and windows are shortened
// by flags so the canary advances inside the bound; everything is read back through the server's API.

const BIN = fileURLToPath(new URL('../../demo/bin/demo.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-demo-'));
const children: ChildProcess[] = [];

/**
 * Flags that make a small fleet move within seconds instead of minutes: images every 60 ms, so the canary
 * station reaches the ≈ 150–300 inferences its default gates (PSI 0.25 on brightness and contrast, p95 250 ms, at
 * 99 %) need to pass within its stage's deadline. The gates are the demo's defaults, not loosened.
 */
const QUICK = [
  ...['--stages', '34%:6s/90s@shadow,34%:6s/90s@partial(0.99,0),100%@partial(0.99,0)'],
  ...['--min-inferences', '100', '--window-ms', '2000', '--interval-ms', '60'],
  ...['--status-every', '3', '--no-dashboard-build', '--log-level', 'error'],
];
/** {@link QUICK}, and line 2's lamp never fails by itself (the data-loop test dims it: a running canary rolls back). */
const FAST = [...QUICK, '--dim-after', 'off'];

interface DemoRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGEFLEET_'))),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    let done = false;
    void exited.then(() => {
      done = true;
    });
    for (;;) {
      const match = pattern.exec(out);
      if (match) return match;
      if (done || Date.now() > end) {
        throw new Error(`${done ? 'demo exited' : 'timed out'} before ${pattern}; output:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => out, exited, waitFor };
}

/** Pids of processes whose command line names this test's data dir (the demo's agents). */
function processesUnder(dir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', dir], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function until<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of processesUnder(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface RolloutSummary {
  id: string;
  strategy: string;
  candidate: string;
  baseline: string | null;
  status: string;
  target: Record<string, unknown>;
}
/** The first deployments (rollouts with no baseline) as the test compares them. */
const firstDeployments = (rollouts: RolloutSummary[]) =>
  rollouts
    .filter((r) => r.baseline === null)
    .map(({ strategy, candidate, status, target }) => ({ strategy, candidate, status, target }))
    .sort((a, b) => String(a.target.kind).localeCompare(String(b.target.kind)));

let adminToken = '';
let canaryId = '';
let first: DemoRun | undefined;

describe('pnpm demo', () => {
  it('brings up the fleet, runs agents that report, advances the canary, serves the page; Ctrl-C stops it', async () => {
    // --duration only bounds the run here: the test sends SIGINT (Ctrl-C) once it has seen everything.
    // Free ports (never 8080/1884 of a demo someone runs); the resumed runs below reuse these.
    const demo = startDemo([
      ...['--fresh', '--data-dir', dataDir, '--duration', '180', '--http-port', '0', '--mqtt-port', '0'],
      ...['--devices', '3', ...FAST],
    ]);
    first = demo;
    const url = (await demo.waitFor(/fleet server\s+(http:\/\/\S+)/, 30_000))[1]!;
    adminToken = (await demo.waitFor(/admin token\s+(efa_\S+)/, 5_000))[1]!;
    const api = async <T>(path: string, token = adminToken): Promise<T> => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, `${path}: ${res.status}`).toBe(200);
      return (await res.json()) as T;
    };
    await demo.waitFor(/EdgeFleet demo is running/, 90_000);

    // Two versions of the real model: different artifacts, server-computed baselines, lineage.
    const { versions } = await api<{
      versions: { version: string; sha256: string; lineage: { createdBy: string } }[];
    }>('/api/v1/models/cls/versions');
    expect(versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(versions[0]!.sha256).not.toBe(versions[1]!.sha256);
    expect(versions.every((v) => v.lineage.createdBy === 'demo')).toBe(true);
    const spec = await api<{ classes: string[]; inputs: { name: string }[] }>(
      '/api/v1/models/cls/versions/1.1.0/spec',
    );
    expect(spec.classes).toEqual(['0', '180']);
    expect(spec.inputs.map((f) => f.name)).toEqual(expect.arrayContaining(['brightness', 'contrast']));

    // Three enrolled agents, labelled by line and station, online.
    const { devices } = await api<{
      devices: { id: string; online: boolean; labels: Record<string, string> }[];
    }>('/api/v1/devices?selector=site%3Dplant-a');
    expect(devices.map((d) => [d.id, d.labels.line, d.labels.station]).sort()).toEqual([
      ['station-1', '1', '1'],
      ['station-2', '1', '2'],
      ['station-3', '2', '3'],
    ]);
    expect(devices.every((d) => d.online)).toBe(true);

    // 1.0.0 reached the stations and the app by first-deployment rollouts (no baseline), both completed.
    const { rollouts } = await api<{ rollouts: RolloutSummary[] }>('/api/v1/rollouts?model=cls');
    expect(firstDeployments(rollouts)).toEqual([
      {
        strategy: 'all-at-once',
        candidate: '1.0.0',
        status: 'completed',
        target: { kind: 'app', appId: 'inspector' },
      },
      {
        strategy: 'all-at-once',
        candidate: '1.0.0',
        status: 'completed',
        target: { kind: 'selector', selector: 'site=plant-a' },
      },
    ]);
    expect(demo.output()).toMatch(
      /rolling out cls 1\.0\.0 to every station: all-at-once first deployment ro_/,
    );
    expect(demo.output()).toMatch(
      /rolling out cls 1\.0\.0 to the app inspector: all-at-once first deployment/,
    );

    // The canary of 1.1.0 exists and moves past its first stage (or completes) with real telemetry.
    const canary = rollouts.find(
      (r) => r.strategy === 'canary' && r.target.kind !== 'app' && !('app' in r.target),
    );
    expect(canary).toMatchObject({ candidate: '1.1.0', baseline: '1.0.0' });
    canaryId = canary!.id;
    // Its first stage serves the candidate in shadow (the operators label everything) and steps up to partial
    // automation once the candidate's agreement with them is shown.
    type Stage = { automation?: { level: string } | null } | null;
    const shadow = await until(
      async () => {
        const r = await api<{ stageIndex: number; stage: Stage }>(`/api/v1/rollouts/${canaryId}`);
        return (r.stage !== null || r.stageIndex > 0) && r;
      },
      30_000,
      'the canary to start',
    );
    if (shadow.stageIndex === 0) expect(shadow.stage?.automation?.level).toBe('shadow');
    const advanced = await until(
      async () => {
        const r = await api<{ status: string; stageIndex: number; stage: Stage }>(
          `/api/v1/rollouts/${canaryId}`,
        );
        return (r.stageIndex > 0 || r.status === 'completed') && r;
      },
      90_000,
      'the canary to pass its first stage',
    );
    expect(['running', 'completed']).toContain(advanced.status);
    if (advanced.status === 'running') expect(advanced.stage?.automation?.level).toBe('partial');
    const detail = await api<{ gates: Record<string, unknown> }>(`/api/v1/rollouts/${canaryId}`);
    expect(detail.gates).toEqual({
      latencyP95Ms: 250,
      features: { brightness: { maxPsi: 0.25 }, contrast: { maxPsi: 0.25 } },
      ...QUALITY_GATES,
    });
    const metrics = async (version: string) =>
      (await api<{ reports: number; inferences: number }>(`/api/v1/models/cls/versions/${version}/metrics`))
        .reports;
    expect(await metrics('1.0.0')).toBeGreaterThan(0);
    expect(await metrics('1.1.0')).toBeGreaterThan(0);
    // The stations' operators label what the model sends to review and spot-check the rest: labels arrive as
    // a measured accuracy (real text lines, so the classifier is right nearly always but not always).
    const labelled = async () =>
      (
        await api<{ labelled: number; accuracy: { estimate: number | null } }>(
          '/api/v1/models/cls/versions/1.0.0/quality',
        )
      ).labelled;
    await expect.poll(labelled, { timeout: 30_000, interval: 1_000 }).toBeGreaterThan(5);

    // The browser demo page: built, served, pointed at this server with the app's publishable key.
    const page = new URL((await demo.waitFor(/demo page\s+(http:\/\/\S+)/, 1_000))[1]!);
    expect(page.searchParams.get('server')).toBe(url);
    expect(page.searchParams.get('model')).toBe('cls');
    const html = await fetch(page);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('EdgeFleet web runtime');
    const wasm = await fetch(new URL('/ort/ort-wasm-simd-threaded.wasm', page), { method: 'HEAD' });
    expect(wasm.status).toBe(200);
    const { plan } = await api<{
      plan: {
        models: { name: string; current: { manifest: { version: string } } }[];
        telemetry: { windowMs: number };
      };
    }>('/api/v1/app/plan', page.searchParams.get('key')!);
    expect(plan.models[0]).toMatchObject({ name: 'cls', current: { manifest: { version: '1.0.0' } } });
    // The server's telemetry window is the demo's --window-ms (the agents follow what they are told).
    expect(plan.telemetry.windowMs).toBe(2000);
    // …and in real Chromium the page's runtime starts from it and serves a version of the fleet's model.
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(page.toString());
      await tab.click('button[type=submit]');
      await expect.poll(() => tab.textContent('#version'), { timeout: 45_000 }).toMatch(/^1\.[01]\.0$/);
      expect(await tab.textContent('#backend')).toMatch(/^(wasm|webgpu) \(/);
    } finally {
      await browser.close();
    }

    // Status lines as the rollout moves.
    expect(demo.output()).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d rollout ${canaryId} canary 1\\.0\\.0→1\\.1\\.0 stage \\d/3`, 'm'),
    );
    expect(demo.output()).toMatch(/devices 3\/3 online/);

    // Ctrl-C: a clean stop; agents got SIGTERM and exited 0; nothing left running; folders stay small.
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('stopping (SIGINT)');
    expect(demo.output()).toContain('stopped 3 agents (exit station-1:0 station-2:0 station-3:0)');
    expect(demo.output()).toContain('stopped cleanly');
    expect(processesUnder(dataDir)).toEqual([]);
    for (const id of ['station-1', 'station-2', 'station-3']) {
      expect(readdirSync(join(dataDir, 'agents', id, 'camera')).length).toBeLessThanOrEqual(21);
    }
  }, 150_000);

  it('resumes the same fleet without registering or enrolling again, and --duration stops it cleanly', async () => {
    expect(canaryId).not.toBe('');
    // Never two demos on one data dir: the first one must be gone (it is, when the first test passed).
    first?.child.kill('SIGTERM');
    await first?.exited;
    // One of the three stations is enough here (agents are what makes a run slow on a small machine).
    const demo = startDemo(['--data-dir', dataDir, '--duration', '2', '--no-web', '--devices', '1', ...FAST]);
    expect(await demo.exited).toBe(0);
    const out = demo.output();
    expect(out).toContain('resuming the fleet');
    expect(out).not.toMatch(/registered cls|enrolled station|rolling out|started the canary/);
    expect(out).toContain(`admin token   ${adminToken}`);
    expect(out).toContain(`rollout       ${canaryId}`);
    expect(out).toContain('stopping (--duration 2 s)');
    expect(out).toContain('stopped 1 agent (exit station-1:0)');
    expect(processesUnder(dataDir)).toEqual([]);
  }, 90_000);

  it('gives a station that joins a resumed fleet its version, and stops everything when an agent dies', async () => {
    // One station more than the first run: it is enrolled and gets the fleet's version by a first deployment.
    const demo = startDemo([
      '--data-dir',
      dataDir,
      '--duration',
      '60',
      '--no-web',
      '--devices',
      '4',
      ...FAST,
    ]);
    const url = (await demo.waitFor(/fleet server\s+(http:\/\/\S+)/, 30_000))[1]!;
    await demo.waitFor(/EdgeFleet demo is running/, 60_000);
    const out = demo.output();
    expect(out).toMatch(/enrolled station-4\b/);
    expect(out).not.toMatch(/enrolled station-[123]|started the canary|to every station|to the app/);
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const { rollouts } = await get<{ rollouts: RolloutSummary[] }>('/api/v1/rollouts?model=cls');
    // Still one canary (the first run's) and one first deployment per target; station-4's own when no
    // active rollout covered it (the canary has usually completed by now: then it gets 1.1.0).
    expect(
      rollouts.filter((r) => r.strategy === 'canary' && r.target.kind === 'selector').map((r) => r.id),
    ).toEqual([canaryId]);
    const joined = /rolling out cls (1\.[01]\.0) to station-4: all-at-once first deployment (ro_\w+)/.exec(
      out,
    );
    const firsts = firstDeployments(rollouts);
    expect(firsts.filter((r) => r.target.kind !== 'devices')).toEqual([
      expect.objectContaining({ candidate: '1.0.0', target: { kind: 'app', appId: 'inspector' } }),
      expect.objectContaining({ candidate: '1.0.0', target: { kind: 'selector', selector: 'site=plant-a' } }),
    ]);
    if (joined) {
      const canary = await get<{ status: string }>(`/api/v1/rollouts/${canaryId}`);
      expect(joined[1]).toBe(canary.status === 'completed' ? '1.1.0' : '1.0.0');
      expect(firsts.filter((r) => r.target.kind === 'devices')).toEqual([
        {
          strategy: 'all-at-once',
          candidate: joined[1],
          status: expect.any(String),
          target: { kind: 'devices', ids: ['station-4'] },
        },
      ]);
      await until(
        async () => {
          const d = await get<{
            reportedState: { running?: { active?: { version: string } | null } } | null;
          }>('/api/v1/devices/station-4');
          return d.reportedState?.running?.active?.version === joined[1];
        },
        45_000,
        `station-4 to run cls ${joined[1]}`,
      );
    } else if (out.includes('station-4: already run cls')) {
      // The completed canary's desired state reached station-4 before the demo asked: it runs 1.1.0.
      await until(
        async () => {
          const d = await get<{
            reportedState: { running?: { active?: { version: string } | null } } | null;
          }>('/api/v1/devices/station-4');
          return d.reportedState?.running?.active?.version === '1.1.0';
        },
        45_000,
        'station-4 to run cls 1.1.0',
      );
    } else {
      expect(out).toContain('station-4: an active rollout covers them');
    }

    const [pid] = processesUnder(join(dataDir, 'agents', 'station-2', 'camera'));
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    expect(await demo.exited).toBe(1);
    expect(demo.output()).toContain('agent station-2 exited unexpectedly (SIGKILL)');
    expect(demo.output()).toContain(
      'stopped 4 agents (exit station-1:0 station-2:SIGKILL station-3:0 station-4:0)',
    );
    expect(processesUnder(dataDir)).toEqual([]);
  }, 120_000);

  it('closes the data loop: line 2 dims, its samples are captured, labelled, exported, and 1.2.0 is trained on them', async () => {
    // The lamp fails at once: line 2's station (station-3) turns dark, the demo sets a capture policy on line=2,
    // labels what arrives with the generators' truth, exports a dataset of it and registers 1.2.0 trained on it.
    const demo = startDemo([
      ...['--data-dir', dataDir, '--duration', '150', '--no-web', '--devices', '3'],
      ...[...QUICK, '--dim-after', '0'],
    ]);
    const url = (await demo.waitFor(/fleet server\s+(http:\/\/\S+)/, 30_000))[1]!;
    await demo.waitFor(/data loop closed — where to look:/, 120_000);
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status, path).toBe(200);
      return (await res.json()) as T;
    };
    const out = demo.output();
    expect(out).toContain('line 2: a lamp failed (brightness −70, contrast ×0.8)');
    const arrived = /data loop: (\d+) samples from line 2 arrived \(([^)]*)\)/.exec(out);
    expect(arrived, out).not.toBeNull();
    const datasetId = /dataset\s+GET \/api\/v1\/datasets\/(\S+)/.exec(out)?.[1];
    expect(datasetId, out).toBeDefined();

    // The capture policy is on line 2, as the admin API shows it.
    const capture = await get<{ settings: { target: unknown; policy: { outOfRange?: unknown } | null }[] }>(
      '/api/v1/models/cls/capture',
    );
    expect(capture.settings).toEqual([
      expect.objectContaining({
        target: { kind: 'selector', selector: 'line=2' },
        policy: expect.anything(),
      }),
    ]);

    // The dataset: line 2's labelled samples, from station-3 only, dark (out of the baseline's range).
    const dataset = await get<Dataset & { samples: DatasetSample[] }>(`/api/v1/datasets/${datasetId}`);
    expect(dataset.sampleCount).toBeGreaterThanOrEqual(20); // it waits for 30 (2 min at most)
    expect(dataset.sampleCount).toBeLessThanOrEqual(40); // the policy's day budget of one station
    expect(dataset.provenance.devices).toEqual(['station-3']);
    // Dark images are out of the baseline's brightness range; the few others are the images that waited in the
    // station's folder when the lamp failed, caught by the policy's ε-sample or low confidence.
    expect(dataset.provenance.reasons.out_of_range).toBeGreaterThanOrEqual(0.8 * dataset.sampleCount);
    expect(dataset.provenance.labelledBy).toEqual([expect.stringMatching(/^admin:/)]);
    expect(dataset.trainedVersions).toEqual([{ name: 'cls', version: '1.2.0' }]);
    const { samples } = await get<SamplePage>(
      `/api/v1/samples?model=cls&slice=${encodeURIComponent('line=2')}&labelled=true&limit=1000`,
    );
    const inDataset = new Set(dataset.samples.map((s) => s.sha256));
    const labelled = samples.filter((s) => inDataset.has(s.sha256));
    expect(labelled).toHaveLength(dataset.sampleCount);
    for (const s of labelled) {
      expect(s.deviceLabels.line).toBe('2');
      expect(s.reasons.length).toBeGreaterThan(0);
      expect(s.reasons.every((r) => ['out_of_range', 'low_confidence', 'random'].includes(r))).toBe(true);
      expect(s.label).toMatch(/^(0|180)$/);
    }
    // The labels are the images' true orientations: both occur (30 % of parts come upside down), and the real
    // model, right on ≈ 97 % of clear lines (dark ones too), agrees with nearly all of them.
    expect(Object.keys(dataset.provenance.labels).sort()).toEqual(['0', '180']);
    const agree = labelled.filter((s) => s.top[0]?.label === s.label).length;
    expect(agree / labelled.length).toBeGreaterThan(0.85);

    // The export: every file's bytes hash to the manifest's sha256; labels.jsonl carries the stored labels.
    const res = await fetch(`${url}/api/v1/datasets/${datasetId}/export`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    const files = new Map(
      (await readTar(new Uint8Array(await res.arrayBuffer()))).map((f) => [f.path, f.bytes]),
    );
    const manifest = JSON.parse(Buffer.from(files.get('manifest.json')!).toString()) as Dataset & {
      samples: { path: string; sha256: string; label: string }[];
    };
    expect(manifest.samples).toHaveLength(dataset.sampleCount);
    const labelOf = new Map(labelled.map((s) => [s.sha256, s.label]));
    for (const m of manifest.samples) {
      expect(createHash('sha256').update(files.get(m.path)!).digest('hex')).toBe(m.sha256);
      expect(m.label).toBe(labelOf.get(m.sha256));
    }
    expect(files.size).toBe(dataset.sampleCount + 2);
    const state = JSON.parse(readFileSync(join(dataDir, 'demo-state.json'), 'utf8')) as {
      dataLoop?: { dataset: string; tar: string; version: string };
    };
    expect(state.dataLoop).toEqual({
      dataset: datasetId,
      tar: join(dataDir, 'datasets', `${datasetId}.tar`),
      version: '1.2.0',
    });
    expect((await readTar(readFileSync(state.dataLoop!.tar))).map((f) => f.path).sort()).toEqual(
      [...files.keys()].sort(),
    );

    // 1.2.0: a new artifact of the same network, its lineage pointing at the dataset and at 1.1.0.
    const retrained = await get<ModelVersionView>('/api/v1/models/cls/versions/1.2.0');
    const parent = await get<ModelVersionView>('/api/v1/models/cls/versions/1.1.0');
    expect(retrained.lineage).toMatchObject({
      trainedOn: datasetId,
      parent: { name: 'cls', version: '1.1.0' },
    });
    expect(retrained.sha256).not.toBe(parent.sha256);
    expect(retrained.specHash).toBe(parent.specHash);

    // Every status line from now on names the dataset and the version trained on it.
    await demo.waitFor(new RegExp(`\\| data loop ${datasetId} → cls 1\\.2\\.0$`, 'm'), 10_000);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(processesUnder(dataDir)).toEqual([]);

    // A resumed fleet says where to look and does not run the loop again.
    const again = startDemo([
      '--data-dir',
      dataDir,
      '--duration',
      '2',
      '--no-web',
      '--devices',
      '1',
      ...QUICK,
    ]);
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain(`dataset       GET /api/v1/datasets/${datasetId}`);
    expect(again.output()).not.toMatch(/lamp failed|data loop:/);
  }, 180_000);

  it('refuses bad flags, a corrupt state file and a taken port it was told to use', async () => {
    const help = startDemo(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output()).toMatch(/^Usage: pnpm demo \[flags\]/);
    expect(help.output()).toContain('--duration S');
    const bad = startDemo(['--devices', '0']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--devices: expected a number in 1 … 50/);

    const corrupt = mkdtempSync(join(tmpdir(), 'edgefleet-demo-corrupt-'));
    try {
      writeFileSync(join(corrupt, 'demo-state.json'), '{"adminToken": 42}');
      const run = startDemo(['--data-dir', corrupt, '--no-web', '--no-dashboard-build']);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/demo-state\.json: expected adminToken .*--fresh/);
      expect(readdirSync(corrupt)).toEqual(['demo-state.json']);

      const taken: Server = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as { port: number }).port;
      const busy = startDemo([
        ...['--fresh', '--data-dir', corrupt, '--http-port', String(port), '--mqtt-port', '0'],
        ...['--no-web', '--no-dashboard-build', '--log-level', 'silent'],
      ]);
      const code = await busy.exited;
      taken.close();
      expect(code).toBe(1);
      expect(busy.output()).toMatch(new RegExp(`port ${port} is in use`));
    } finally {
      rmSync(corrupt, { recursive: true, force: true });
    }
  }, 60_000);
});
