import type { ProfileSpec } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli/io';
import { main } from '../cli/main';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { registerClsVersions } from './test-support';

// Real server, SQLite and HTTP ingestion: the plan reads the targets' traffic from the stored aggregates.

const HOUR = 3_600_000;
const spec = clsBaseline().spec as ProfileSpec;
let t: TestServer;

const plan = (body: unknown, headers?: Record<string, string>) =>
  t.call('/api/v1/rollouts/plan', { method: 'POST', json: body, ...(headers ? { headers } : {}) });

beforeAll(async () => {
  t = await startTestServer({ alertTickMs: 0 });
  await registerClsVersions(t, ['1.0.0', '2.0.0']);
  const a = await enrollTestDevice(t, 'pa', { site: 'plant-a' });
  const b = await enrollTestDevice(t, 'pb', { site: 'plant-b' });
  // Plant a: 600 inferences an hour for the last 3 hours with 3 errors each; plant b: 6,000 an hour.
  const hourStart = Math.floor(t.clock.nowMs / HOUR) * HOUR;
  const reports = (id: string, inferences: number, errorRate: number) =>
    [1, 2, 3].map(
      (h, i) => windowReport(spec, id, i + 1, hourStart - h * HOUR, { inferences, errorRate }).report,
    );
  await postDeviceReports(t, a, reports('pa', 600, 0.005));
  await postDeviceReports(t, b, reports('pb', 6_000, 0));
}, 60_000);

afterAll(async () => {
  await t?.dispose();
});

describe('POST /api/v1/rollouts/plan', () => {
  it('estimates from the targets’ traffic how long each stage needs to decide its gates', async () => {
    const res = await plan({
      model: 'cls',
      candidate: '2.0.0',
      target: { selector: 'site=plant-a' },
      stages: '10%:30m,100%:1h',
      // The test baseline has 100 samples over 5 bins: PSI 0.5 is decidable; 0.05, under its own noise, is not (next test).
      gates: { maxErrorRate: 0.02, maxPsi: 0.5 },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.traffic).toMatchObject({ targets: 1, reportingTargets: 1 });
    expect(body.traffic.errorRate).toBeCloseTo(0.005, 6);
    const minutes = (body.traffic.toMs - body.traffic.fromMs) / 60_000;
    expect(body.traffic.inferencesPerMinute).toBeCloseTo(1_800 / minutes, 6);
    // brightness and confidence under maxPsi, and the error rate.
    expect(body.tests).toBe(3);
    expect(body.gates.map((g: { gate: string }) => g.gate)).toEqual([
      'drift.psi.input.brightness',
      'drift.psi.output.confidence',
      'error_rate',
    ]);
    for (const g of body.gates) expect(g.inferencesNeeded).toBeGreaterThan(0);
    const needed = Math.max(...body.gates.map((g: { inferencesNeeded: number }) => g.inferencesNeeded));
    expect(body.inferencesNeeded).toBe(needed);
    expect(body.suggestedMinInferences).toBe(Math.ceil(needed));
    expect(body.stages).toHaveLength(2);
    const [first, last] = body.stages;
    expect(first.inferencesPerMinute).toBeCloseTo(body.traffic.inferencesPerMinute / 10, 9);
    expect(first.minutesNeeded).toBeCloseTo(needed / first.inferencesPerMinute, 6);
    expect(last.minutesNeeded).toBeCloseTo(needed / body.traffic.inferencesPerMinute, 6);
    expect(first.enoughTime).toBe(first.minutesNeeded <= 30);
  });

  it('says when a target has no traffic or a gate cannot decide', async () => {
    const res = await plan({
      model: 'cls',
      candidate: '2.0.0',
      target: { devices: ['pb'] },
      gates: { maxErrorRate: 0.001, maxPsi: 0.05 },
      expectedErrorRate: 0.002,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.gates.find((g: { gate: string }) => g.gate === 'drift.psi.input.brightness')).toMatchObject({
      inferencesNeeded: null,
      note: 'the baseline is too small for this threshold at this confidence',
    });
    expect(body.gates.find((g: { gate: string }) => g.gate === 'error_rate')).toMatchObject({
      expected: 0.002,
      inferencesNeeded: null,
    });
    expect(body.inferencesNeeded).toBeNull();
    for (const s of body.stages) expect(s.minutesNeeded).toBeNull();

    const none = await (
      await plan({ model: 'cls', candidate: '2.0.0', target: { devices: ['nobody'] } })
    ).json();
    expect(none.traffic.inferencesPerMinute).toBe(0);
    expect(none.notes.join(' ')).toMatch(/no telemetry/);

    const quality = await (
      await plan({
        model: 'cls',
        candidate: '2.0.0',
        target: { devices: ['pb'] },
        gates: { maxErrorRate: 0.01, maxAccuracyDrop: 0.02 },
      })
    ).json();
    expect(quality.tests).toBe(2);
    expect(quality.notes.join(' ')).toMatch(/maxAccuracyDrop is not planned \(it counts operators' labels/);
  });

  it('answers malformed, forged and hostile requests with errors', async () => {
    const ok = { model: 'cls', candidate: '2.0.0', target: { selector: 'site=plant-a' } };
    expect((await plan({ ...ok, candidate: '9.9.9' })).status).toBe(404);
    expect((await plan({ ...ok, target: { selector: 'site in (' } })).status).toBe(400);
    expect((await plan({ ...ok, stages: '50%:1h,10%' })).status).toBe(400);
    expect((await plan({ ...ok, confidence: 1 })).status).toBe(400);
    expect((await plan({ ...ok, extra: true })).status).toBe(400);
    expect((await plan({ ...ok, stages: 'x'.repeat(5_000) })).status).toBe(400);
    expect((await plan({ ...ok, gates: { maxPsi: -1 } })).status).toBe(400);
    expect((await plan(ok, { authorization: 'Bearer forged' })).status).toBe(401);
  });
});

describe('edgefleet rollout plan', () => {
  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (x) => out.push(x), err: (x) => err.push(x), fetch };
    const code = await main(
      ['rollout', 'plan', ...argv],
      { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken },
      io,
    );
    return { code, out: out.join(''), err: err.join('') };
  }

  it('prints the traffic, what each gate needs and how long each stage takes', async () => {
    const args = [
      '--model',
      'cls',
      '--candidate',
      '2.0.0',
      '--selector',
      'site=plant-a',
      '--stages',
      '10%:30m,100%',
    ];
    const text = await run(
      ...args,
      '--gate',
      'maxErrorRate=0.02',
      '--gate',
      'maxPsi=0.5',
      '--traffic-window',
      '24h',
    );
    expect(text).toMatchObject({ code: 0, err: '' });
    expect(text.out).toMatch(/traffic\s+\S+ inferences\/min from 1 of 1 targets, error rate 0\.50 %/);
    expect(text.out).toMatch(/error_rate\s+≤ 0\.02\s+≈ [\d,]+ inferences/);
    expect(text.out).toMatch(/10%\s+\S+\/min\s+needs ≈ /);
    expect(text.out).toMatch(/suggested --min-inferences \d+/);
    const json = await run(...args, '--gate', 'maxErrorRate=0.02', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ tests: 1, traffic: { targets: 1 } });
  });

  it("refuses bad flags with a usage error and passes the server's 400 on", async () => {
    expect((await run('--model', 'cls')).code).toBe(2);
    expect((await run('--model', 'cls', '--candidate', '2.0.0', '--app', 'x', '--devices', 'a')).code).toBe(
      2,
    );
    expect(
      (await run('--model', 'cls', '--candidate', '2.0.0', '--app', 'x', '--traffic-window', '5m')).code,
    ).toBe(2);
    const bad = await run('--model', 'cls', '--candidate', '2.0.0', '--devices', 'pa', '--confidence', '2');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/confidence/);
  });
});
