import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inStage } from '@edgefleet/shared';
import type { RolloutDetail } from '@edgefleet/shared/api';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminApi, ApiError } from '../../demo/src/api';
import { parseDemoArgs } from '../../demo/src/config';
import { Feeder } from '../../demo/src/feeder';
import { inspectionImage } from '../../demo/src/images';
import { registerVersions } from '../../demo/src/models';
import {
  APP_ID,
  createApp,
  deployInitialAppVersion,
  deployInitialVersion,
  deployToNewStations,
  firstDeploymentRequest,
  firstStagePercent,
  getRollout,
  saltFor,
  withoutLevels,
} from '../../demo/src/rollouts';
import { choosePort, portIsFree, startDemoServer } from '../../demo/src/server';
import { readState, STATE_FILE, writeState } from '../../demo/src/state';
import { formatStatus, newAuditLines } from '../../demo/src/status';
import { buildDashboard, demoPageUrl } from '../../demo/src/web';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-demo-unit-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('demo flags', () => {
  it('has the embedded defaults and takes every flag', () => {
    const { config, help } = parseDemoArgs([]);
    expect(help).toBe(false);
    expect(config).toMatchObject({
      devices: 6,
      fresh: false,
      httpPort: { port: 8080, explicit: false },
      mqttPort: { port: 1884, explicit: false },
      durationS: 0,
      stages: '34%:1m@shadow,34%:1m@partial(0.99,0),100%@partial(0.99,0)',
      spotCheckShare: 0.2,
      web: true,
    });
    expect(config.dataDir).toMatch(/\.edgefleet-demo$/);
    const parsed = parseDemoArgs([
      ...['--devices', '3', '--fresh', '--data-dir', '/tmp/x', '--http-port', '0', '--duration', '60'],
      ...['--stages', '50%:10s@assist,100%@full', '--window-ms', '2000', '--no-web', '--log-level', 'silent'],
      ...['--spot-checks', '0.5', '--help'],
    ]);
    expect(parsed.help).toBe(true);
    expect(parsed.config).toMatchObject({
      devices: 3,
      fresh: true,
      dataDir: '/tmp/x',
      httpPort: { port: 0, explicit: true },
      durationS: 60,
      stages: '50%:10s@assist,100%@full',
      spotCheckShare: 0.5,
      windowMs: 2000,
      web: false,
      logLevel: 'silent',
    });
  });

  it.each([
    [['--devices', '0'], /--devices/],
    [['--devices', '2.5'], /--devices: expected an integer/],
    [['--devices', 'many'], /--devices/],
    [['--devices', ''], /--devices/],
    [['--http-port', '70000'], /--http-port/],
    [['--duration', '-1'], /--duration/],
    [['--window-ms', '10'], /--window-ms/],
    [['--max-psi', 'NaN'], /--max-psi/],
    [['--stages', 'soon'], /--stages/],
    [['--stages', '34%@nope,100%'], /--stages/],
    [['--stages', '34%@partial(0.9),100%'], /--stages/],
    [['--spot-checks', '1.5'], /--spot-checks/],
    [['--stages', '34%:1m;rm -rf /'], /--stages/],
    [['--stages', `${'1%,'.repeat(100)}100%`], /--stages/],
    [['--log-level', 'loud'], /--log-level/],
    [['--nope'], /nope/],
    [['positional'], /positional|Unexpected argument/],
  ])('refuses %j, naming the flag', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });
});

describe('inspection images', () => {
  const stats = async (png: Buffer) => (await sharp(png).greyscale().stats()).channels[0]!;

  it('are a pure function of seed and scene, 192×48 PNGs', async () => {
    const a = await inspectionImage(42);
    expect(Buffer.compare(a, await inspectionImage(42))).toBe(0);
    expect(Buffer.compare(a, await inspectionImage(43))).not.toBe(0);
    expect(await sharp(a).metadata()).toMatchObject({ format: 'png', width: 192, height: 48, channels: 3 });
    const jpeg = await inspectionImage(42, { format: 'jpeg', width: 96, height: 24 });
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 96, height: 24 });
  });

  it('drift: brightness shifts the mean, contrast scales the spread', async () => {
    const normal = await stats(await inspectionImage(7));
    const dark = await stats(await inspectionImage(7, { brightness: -70 }));
    const flat = await stats(await inspectionImage(7, { contrast: 0.5 }));
    expect(normal.mean - dark.mean).toBeGreaterThan(60);
    expect(flat.stdev).toBeLessThan(normal.stdev * 0.6);
    // Clamped, never wrapped: an absurd shift gives a black image, not noise.
    expect((await stats(await inspectionImage(7, { brightness: -1e6 }))).max).toBe(0);
  });
});

describe('the app canary stages', () => {
  it('drop the automation levels and the stages that only raised the level', () => {
    expect(withoutLevels('34%:1m@shadow,34%:1m@partial(0.99,0),100%@partial(0.99,0)')).toBe('34%:1m,100%');
    expect(withoutLevels('25%:2h@shadow,100%:1d@assist,100%@full')).toBe('25%:2h,100%:1d');
    expect(withoutLevels('34%:6s/90s,100%')).toBe('34%:6s/90s,100%');
  });
});

describe('canary salt', () => {
  it('puts round(percent × n) of the stations in the first stage, at least one and not all', () => {
    for (const n of [1, 2, 3, 6, 10]) {
      const ids = Array.from({ length: n }, (_, i) => `station-${i + 1}`);
      const salt = saltFor(ids, 34);
      const members = ids.filter((id) => inStage(id, salt, 34)).length;
      expect(members).toBe(Math.min(Math.max(1, Math.round(0.34 * n)), Math.max(1, n - 1)));
    }
    // With a preference (a line-2 station in the canary) when one exists among the right-sized splits.
    const six = Array.from({ length: 6 }, (_, i) => `station-${i + 1}`);
    const line2 = ['station-4', 'station-5', 'station-6'];
    const salt = saltFor(six, 34, (members) => members.some((id) => line2.includes(id)));
    const members = six.filter((id) => inStage(id, salt, 34));
    expect(members).toHaveLength(2);
    expect(members.some((id) => line2.includes(id))).toBe(true);
    // An impossible preference still gives a right-sized split.
    const anyway = saltFor(six, 34, () => false);
    expect(six.filter((id) => inStage(id, anyway, 34))).toHaveLength(2);
    expect(firstStagePercent('34%:1m,100%')).toBe(34);
    expect(firstStagePercent('2.5%:1m,100%')).toBe(2.5);
    expect(() => firstStagePercent('x')).toThrow(/--stages/);
  });
});

describe('first deployments through the rollout API', () => {
  it('asks for an all-at-once rollout with no baseline that needs no telemetry to complete', () => {
    expect(firstDeploymentRequest({ app: APP_ID })).toEqual({
      model: 'cls',
      candidate: '1.0.0',
      baseline: null,
      target: { app: 'inspector' },
      strategy: 'all-at-once',
      minReportingTargets: 0,
      minInferences: 0,
    });
    expect(firstDeploymentRequest({ devices: ['station-7'] }, '1.1.0')).toMatchObject({
      candidate: '1.1.0',
      target: { devices: ['station-7'] },
    });
  });

  it("gives the app 1.0.0 without a browser, once, in the demo's telemetry window", async () => {
    const { config } = parseDemoArgs([
      ...['--data-dir', tempDir(), '--http-port', '0', '--mqtt-port', '0'],
      ...['--window-ms', '2500', '--rollout-tick-ms', '50', '--log-level', 'silent'],
    ]);
    const demo = await startDemoServer(config, null);
    try {
      const api = new AdminApi(demo.url, demo.server.adminToken!);
      await registerVersions(api);
      const { publishableKey } = await createApp(api);
      const first = await deployInitialAppVersion(api);
      expect(first.created).toBe(true);
      // A second run (say one that stopped before saving the id) finds it instead of creating another.
      expect(await deployInitialAppVersion(api)).toEqual({ id: first.id, created: false });
      await expect
        .poll(async () => (await getRollout(api, first.id)).status, { timeout: 10_000 })
        .toBe('completed');
      const done = await getRollout(api, first.id);
      expect(done).toMatchObject({ baseline: null, candidate: '1.0.0', strategy: 'all-at-once' });
      expect(await deployInitialAppVersion(api)).toEqual({ id: first.id, created: false });
      const res = await fetch(`${demo.url}/api/v1/app/plan`, {
        headers: { authorization: `Bearer ${publishableKey}` },
      });
      const { plan } = (await res.json()) as {
        plan: { models: { name: string; current: { manifest: { version: string } } }[]; telemetry: unknown };
      };
      expect(plan.models).toEqual([
        expect.objectContaining({
          name: 'cls',
          current: expect.objectContaining({ manifest: expect.objectContaining({ version: '1.0.0' }) }),
        }),
      ]);
      expect(plan.telemetry).toMatchObject({ windowMs: 2500 });
      // No station enrolled: the stations' first deployment has no targets, and is still one rollout.
      const stations = await deployInitialVersion(api);
      expect(stations.created).toBe(true);
      expect(await deployInitialVersion(api)).toEqual({ id: stations.id, created: false });
      // Stations that do not exist are refused as JSON, not swallowed.
      const refused = await deployToNewStations(api, ['../../etc'], '1.0.0').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(400);
    } finally {
      await demo.server.close();
    }
  });
});

describe('station feeder', () => {
  it('drops images, removes processed ones with their results, and pauses while too many wait', async () => {
    const dir = tempDir();
    const watchDir = join(dir, 'camera');
    const outDir = join(dir, 'results');
    const feeder = new Feeder({ watchDir, outDir, intervalMs: 10, seed: 1, maxPending: 3 });
    for (let i = 0; i < 5; i++) await feeder.step();
    const images = readdirSync(watchDir).sort();
    expect(images).toEqual(['img-000000001.png', 'img-000000002.png', 'img-000000003.png']);
    expect(feeder.written).toBe(3);
    // The agent processed two (results beside), one failed into failed/, one stray result has no image.
    writeFileSync(join(outDir, 'img-000000001.png.json'), '{}');
    writeFileSync(join(outDir, 'img-000000002.png.json'), '{}');
    writeFileSync(join(outDir, 'img-000000099.png.json'), '{}');
    writeFileSync(join(outDir, 'notes.txt'), 'not ours');
    mkdirSync(join(watchDir, 'failed'));
    writeFileSync(join(watchDir, 'failed', 'x.png'), 'bad');
    await feeder.step();
    expect(feeder.cleaned).toBe(2);
    expect(readdirSync(watchDir).sort()).toEqual(['img-000000003.png', 'img-000000004.png']);
    expect(readdirSync(outDir)).toEqual(['notes.txt']);
    // Never a partial file left under a name the agent would take.
    expect(readdirSync(watchDir).filter((n) => n.endsWith('.part'))).toEqual([]);
    feeder.start();
    await new Promise((r) => setTimeout(r, 100));
    await feeder.stop();
    const after = feeder.written;
    await new Promise((r) => setTimeout(r, 50));
    expect(feeder.written).toBe(after);
    expect(readdirSync(watchDir).length).toBeLessThanOrEqual(3);
  });

  it('reports a failing tick and keeps going instead of crashing the demo', async () => {
    const dir = tempDir();
    const errors: string[] = [];
    const feeder = new Feeder({
      watchDir: join(dir, 'camera'),
      outDir: join(dir, 'results'),
      intervalMs: 10,
      seed: 1,
      onError: (e) => errors.push(e.message),
    });
    rmSync(join(dir, 'results'), { recursive: true }); // the results folder vanished under it
    feeder.start();
    await new Promise((r) => setTimeout(r, 150));
    await feeder.stop();
    expect(errors.length).toBeGreaterThan(1);
    expect(errors[0]).toMatch(/ENOENT/);
  });
});

describe('demo state file', () => {
  const token = `efa_${'a'.repeat(43)}`;

  it('round-trips, owner-only', () => {
    const dir = tempDir();
    expect(readState(dir)).toBeNull();
    const state = {
      adminToken: token,
      app: { id: 'inspector', publishableKey: 'efp_x' },
      bootstrapped: ['station-1'],
      rollouts: { canary: 'ro_1' },
      ports: { http: 8080, mqtt: 1884 },
      dataLoop: { dataset: 'ds-1', tar: '/x/datasets/ds-1.tar', version: '1.2.0' },
    };
    writeState(dir, state);
    expect(readState(dir)).toEqual(state);
    expect(readdirSync(dir)).toEqual([STATE_FILE]);
  });

  it.each([
    ['not JSON', '{"adminToken": ', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['no token', '{}', /adminToken/],
    ['a token of the wrong kind', JSON.stringify({ adminToken: 'efp_publishablekey0000' }), /adminToken/],
    ['bad device ids', JSON.stringify({ adminToken: token, bootstrapped: [1] }), /bootstrapped/],
    ['bad rollouts', JSON.stringify({ adminToken: token, rollouts: { canary: 7 } }), /rollouts/],
    ['bad app', JSON.stringify({ adminToken: token, app: 'inspector' }), /app/],
    ['bad ports', JSON.stringify({ adminToken: token, ports: { http: 0, mqtt: 1884 } }), /ports/],
    ['ports not numbers', JSON.stringify({ adminToken: token, ports: { http: '80', mqtt: 1 } }), /ports/],
    ['bad data loop', JSON.stringify({ adminToken: token, dataLoop: { dataset: 'ds-1' } }), /dataLoop/],
    ['data loop not strings', JSON.stringify({ adminToken: token, dataLoop: [1] }), /dataLoop/],
    ['huge', JSON.stringify({ adminToken: token, pad: 'x'.repeat(100_000) }), /larger than/],
  ])('refuses a state file that is %s, suggesting --fresh', (_name, text, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, STATE_FILE), text);
    expect(() => readState(dir)).toThrow(message);
    expect(() => readState(dir)).toThrow(/--fresh/);
  });
});

describe('port choice', () => {
  it('sees a taken port as taken and a released one as free', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    expect(await portIsFree(port, '127.0.0.1')).toBe(false);
    // A taken default falls back to a free port (0); a port the user named stays, and fails loudly later.
    expect(await choosePort({ port, explicit: false }, '127.0.0.1')).toBe(0);
    expect(await choosePort({ port, explicit: true }, '127.0.0.1')).toBe(port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await portIsFree(port, '127.0.0.1')).toBe(true);
    expect(await portIsFree(0, '127.0.0.1')).toBe(true);
  });
});

describe('status line', () => {
  const audit = (id: number, event: 'created' | 'started', actor: string, reason: string) => ({
    id,
    rolloutId: 'ro_1',
    at: 1_764_000_000_000 + id,
    actor,
    event,
    fromStatus: event === 'created' ? null : ('scheduled' as const),
    toStatus: event === 'created' ? ('scheduled' as const) : ('running' as const),
    stageIndex: 0,
    reason,
    gates: [],
  });
  const rollout: RolloutDetail = {
    id: 'ro_1',
    model: 'cls',
    candidate: '1.1.0',
    baseline: '1.0.0',
    strategy: 'canary',
    target: { kind: 'selector', selector: 'site=plant-a' },
    status: 'running',
    stageIndex: 0,
    stageCount: 2,
    percent: 34,
    createdBy: 'admin:adm_1',
    createdAt: 1_764_000_000_000,
    updatedAt: 1_764_000_000_000,
    stages: [],
    stage: {
      index: 0,
      percent: 34,
      startedAt: 1_764_000_000_000,
      elapsedMs: 21_400,
      minDurationMs: 60_000,
      maxDurationMs: 240_000,
    },
    gates: {},
    onBreach: 'rollback',
    confidence: 0.99,
    onInconclusive: 'pause',
    salt: 'ro_1',
    startAt: 1_764_000_000_000,
    maintenanceWindows: [],
    maxConcurrentDownloads: null,
    applyTimeoutMs: 900_000,
    evaluation: { at: 1_764_000_000_000, note: '', verdict: 'wait', gates: [], look: null },
    targets: {
      total: 6,
      byState: { on_candidate: 0, on_baseline: 0, switching: 0, failed: 0, untouched: 0 },
      failures: [],
    },
    audit: [audit(1, 'created', 'admin:adm_1', 'canary of cls'), audit(2, 'started', 'controller', '')],
  };

  it('says stage, share, time, verdict, devices per version and reports per version', () => {
    const line = formatStatus(
      {
        rollout,
        appRollout: { ...rollout, id: 'ro_2', status: 'scheduled' },
        online: 5,
        devices: 6,
        running: { '1.1.0': 2, '1.0.0': 4 },
        reports: { '1.0.0': 40, '1.1.0': 12 },
      },
      new Date(Date.UTC(2026, 10, 23, 12, 0, 5)),
    );
    expect(line).toBe(
      '12:00:05 rollout ro_1 canary 1.0.0→1.1.0 stage 1/2 34% 21s running gates wait | devices 5/6 online ' +
        '1.0.0:4 1.1.0:2 | reports 1.0.0:40 1.1.0:12 | app scheduled stage 1/2',
    );
    const done = formatStatus({
      rollout: { ...rollout, status: 'completed', stageIndex: 2, stage: null },
      appRollout: null,
      online: 0,
      devices: 0,
      running: {},
      reports: {},
    });
    expect(done).toMatch(/rollout ro_1 canary 1\.0\.0→1\.1\.0 stage 2\/2 completed \| devices 0\/0 online/);
    // A first deployment replaces nothing.
    const first = formatStatus({
      rollout: { ...rollout, strategy: 'all-at-once', baseline: null, candidate: '1.0.0', stageCount: 1 },
      appRollout: null,
      online: 1,
      devices: 1,
      running: { none: 1 },
      reports: {},
    });
    expect(first).toMatch(/rollout ro_1 all-at-once none→1\.0\.0 stage 1\/1 34% 21s running gates wait/);
    // Once the data loop closed, every line names its dataset and the version trained on it.
    const closed = formatStatus({
      rollout: null,
      appRollout: null,
      online: 6,
      devices: 6,
      running: { '1.1.0': 6 },
      reports: { '1.1.0': 9 },
      dataLoop: { dataset: 'ds-1', version: '1.2.0' },
    });
    expect(closed).toMatch(/ \| reports 1\.1\.0:9 \| data loop ds-1 → cls 1\.2\.0$/);
  });

  it('prints each audit entry once', () => {
    const printed = new Set<string>();
    expect(newAuditLines(rollout, printed)).toEqual([
      '  ro_1 created by admin:adm_1: canary of cls',
      '  ro_1 started by controller',
    ]);
    expect(newAuditLines(rollout, printed)).toEqual([]);
  });
});

describe('pages', () => {
  it('puts server, app, key and model into the demo page query', () => {
    const url = new URL(
      demoPageUrl('http://127.0.0.1:5173/', {
        server: 'http://127.0.0.1:8080',
        app: 'inspector',
        key: 'efp_a&b',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      server: 'http://127.0.0.1:8080',
      app: 'inspector',
      key: 'efp_a&b',
      model: 'cls',
    });
  });

  it('says why there is no dashboard to build', async () => {
    const root = tempDir();
    expect(await buildDashboard(root, join(root, 'build.log'))).toMatch(/no dashboard package/);
    mkdirSync(join(root, 'dashboard'));
    writeFileSync(join(root, 'dashboard', 'package.json'), JSON.stringify({ scripts: { dev: 'vite' } }));
    expect(await buildDashboard(root, join(root, 'build.log'))).toMatch(/no build script/);
    writeFileSync(join(root, 'dashboard', 'package.json'), 'null');
    expect(await buildDashboard(root, join(root, 'build.log'))).toMatch(/no build script/);
    writeFileSync(join(root, 'dashboard', 'package.json'), '{"scripts": ');
    expect(await buildDashboard(root, join(root, 'build.log'))).toMatch(/not JSON/);
  });
});
