import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSimDevices } from '../rollouts/sim-fleet';
import { registerClsVersions } from '../rollouts/test-support';
import { startTestServer, type TestServer } from '../testing/harness';
import { type CliIo, parseGates, parseWindow, rolloutCommand } from './rollout';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  await registerClsVersions(t, ['1.0.0', '2.0.0']);
  insertSimDevices(t.server.context.db, 'cli', 10, { site: 'plant-a', line: '3' }, t.clock.nowMs);
});
afterAll(() => t.dispose());

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (s) => out.push(s), err: (s) => err.push(s), fetch };
  const code = await rolloutCommand(argv, { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken }, io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('edgefleet rollout', () => {
  it('creates, lists, shows and acts on a rollout', async () => {
    const created = await run(
      'create',
      '--id',
      'cli-1',
      '--model',
      'cls',
      '--candidate',
      '2.0.0',
      '--baseline',
      '1.0.0',
      '--selector',
      'site=plant-a,line in (3,4)',
      '--stages',
      '10%:30m,100%',
      '--gate',
      'latencyP95Ms=40',
      '--gate',
      'psi:brightness=0.3',
      '--window',
      'mon-fri 22:00-06:00 Europe/Berlin',
      '--confidence',
      '99.9%',
      '--on-inconclusive',
      'extend',
      '--stages',
      '10%:30m/6h,100%',
    );
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.out).toContain('cli-1  canary cls 1.0.0 → 2.0.0  [scheduled]');
    expect(created.out).toContain('targets  10: on_candidate 0');
    const list = await run('list', '--model', 'cls');
    expect(list.out).toContain('cli-1  scheduled');
    const paused = await run('pause', 'cli-1', '--reason', 'night shift asked');
    expect(paused.out).toMatch(/paused\s+admin:\S+: night shift asked/);
    const shown = await run('show', 'cli-1', '--json');
    expect(JSON.parse(shown.out)).toMatchObject({
      status: 'paused',
      gates: { latencyP95Ms: 40, features: { brightness: { maxPsi: 0.3 } } },
      confidence: 0.999,
      onInconclusive: 'extend',
      stages: [
        { percent: 10, maxDurationMs: 6 * 3_600_000 },
        { percent: 100, maxDurationMs: null },
      ],
      maintenanceWindows: [
        {
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          start: '22:00',
          end: '06:00',
          timeZone: 'Europe/Berlin',
        },
      ],
    });
    expect((await run('rollback', 'cli-1')).code).toBe(0);
  });

  it('creates a ladder rollout with quality gates and shows each stage with its level', async () => {
    const created = await run(
      ...['create', '--id', 'cli-ladder', '--model', 'cls', '--candidate', '2.0.0', '--baseline', '1.0.0'],
      ...['--selector', 'line=9', '--stages', '25%:2h@shadow,100%:1d@assist,100%@partial(0.9,0.2)'],
      ...['--gate', 'maxAccuracyDrop=0.02', '--gate', 'minLabels=200', '--gate', 'minStepUpAgreement=0.97'],
    );
    expect(created).toMatchObject({ code: 0, err: '' });
    expect(created.out).toContain('25%@shadow');
    expect(created.out).toContain('100%@partial(0.9,0.2)');
    const shown = JSON.parse((await run('show', 'cli-ladder', '--json')).out);
    expect(shown.gates).toEqual({ maxAccuracyDrop: 0.02, minLabels: 200, minStepUpAgreement: 0.97 });
    const bad = await run(
      ...['create', '--model', 'cls', '--candidate', '2.0.0', '--selector', 'line=8'],
      ...['--stages', '50%@full,100%@assist'],
    );
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('only rises');
    expect((await run('abort', 'cli-ladder')).code).toBe(0);
  });

  it('reports API errors with their message and usage errors with exit code 2', async () => {
    const missing = await run('show', 'nope');
    expect(missing).toMatchObject({ code: 4 }); // not found (exit codes of `edgefleet help`)
    expect(missing.err).toContain('404 not_found');
    expect((await run('create', '--model', 'cls')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    const common = ['create', '--model', 'cls', '--candidate', '2.0.0', '--selector', 'site=x'];
    expect((await run(...common, '--confidence', '1')).code).toBe(2);
    expect((await run(...common, '--confidence', 'lots')).err).toContain('--confidence');
    const hostile = await run(...common, '--on-inconclusive', 'explode');
    expect(hostile.code).not.toBe(0);
    expect(hostile.err).toContain('onInconclusive');
    const bad = await run(
      'create',
      '--model',
      'cls',
      '--candidate',
      '2.0.0',
      '--selector',
      'site=x',
      '--stages',
      '9%,1%',
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('stages');
  });

  it('parses windows and gates', () => {
    expect(parseWindow('fri-mon 23:00-01:00 UTC').days).toEqual(['sun', 'mon', 'fri', 'sat']);
    expect(() => parseWindow('someday 1-2 UTC')).toThrow('--window');
    expect(parseGates(['maxPsi=0.2', 'js:confidence=0.1', 'metric:outputs.confidence.mean>=0.8'])).toEqual({
      maxPsi: 0.2,
      features: { confidence: { maxJs: 0.1 } },
      metrics: [{ name: 'outputs.confidence.mean', min: 0.8 }],
    });
    expect(() => parseGates(['maxPsi=lots'])).toThrow('NAME=NUMBER');
  });
});
