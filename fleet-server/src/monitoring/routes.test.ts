import { deviceTopic, driftReport, Profile, type ProfileSpec } from '@edgefleet/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from '../mqtt/test-clients';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { postDeviceReports, windowReport } from './test-reports';
import type { Timeseries } from './timeseries';

// Real server (SQLite file, embedded broker), real cls versions, reports through the HTTP ingestion path.

const T0 = Date.UTC(2026, 10, 23, 10, 0);
const MIN = 60_000;
const { spec, profile: baselineJson } = clsBaseline() as { spec: ProfileSpec; profile: unknown };
const baseline = Profile.fromJSON(baselineJson, spec);

let t: TestServer;
const tokens: Record<string, string> = {};
/** Local copies of what each device sent, per window index, to check the server's merge against. */
const sent: Record<string, Profile[]> = { d1: [], d2: [] };
let mqtt: MqttClient | null = null;

beforeAll(async () => {
  t = await startTestServer();
  t.clock.nowMs = T0 + 30 * MIN;
  await registerClsVersions(t, ['1.0.0']);
  tokens.d1 = await enrollTestDevice(t, 'd1', { site: 'plant-a' });
  tokens.d2 = await enrollTestDevice(t, 'd2', { site: 'plant-b' });
  tokens.d3 = await enrollTestDevice(t, 'd3', { site: '__proto__' });
  tokens.d4 = await enrollTestDevice(t, 'd4', { site: 'plant-a' });
  expect((await t.call('/api/v1/devices/d4', { method: 'PATCH', json: { disabled: true } })).status).toBe(
    200,
  );
  for (const device of ['d1', 'd2'] as const) {
    const reports = [];
    for (let i = 0; i < 10; i++) {
      // d2 drifts in its last five windows.
      const window = { inferences: 20, latencyMs: 5, inputShift: device === 'd2' && i >= 5 ? 0.5 : 0 };
      const { report, profile } = windowReport(spec, device, i + 1, T0 + i * MIN, window);
      reports.push(report);
      sent[device]!.push(profile);
    }
    await postDeviceReports(t, tokens[device]!, reports);
  }
}, 60_000);

afterAll(async () => {
  await mqtt?.endAsync(true);
  await t?.dispose();
});

const series = async (query: string) => {
  const res = await t.call(`/api/v1/models/cls/versions/1.0.0/timeseries?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Timeseries;
};

const merged = (profiles: Profile[]) => profiles.reduce((m, p) => m.merge(p), new Profile(spec));

describe('GET /models/{name}/versions/{version}/timeseries', () => {
  it('buckets raw reports by window end and merges each bucket with the shared code', async () => {
    const s = await series(`from=${T0}&to=${T0 + 15 * MIN}&stepMs=60000`);
    expect(s).toMatchObject({
      model: 'cls',
      version: '1.0.0',
      source: 'reports',
      truncated: false,
      from: T0,
    });
    expect(s.points).toHaveLength(15);
    expect(s.points.map((p) => p.reports)).toEqual([0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0]);
    expect(s.points[0]).toMatchObject({ inferences: 0, errorRate: null, latencyMs: null, drift: null });
    for (let i = 0; i < 10; i++) {
      const point = s.points[i + 1]!;
      const expected = merged([sent.d1![i]!, sent.d2![i]!]);
      const drift = driftReport(baseline.ok ? baseline.value : new Profile(spec), expected);
      expect(point.t).toBe(T0 + (i + 1) * MIN);
      expect(point.inferences).toBe(40);
      expect(point.drift!.inputs.brightness!.psi).toBeCloseTo(drift.inputs[0]!.psi!, 12);
      expect(point.drift!.output!.js).toBeCloseTo(drift.outputs[0]!.js!, 12);
      expect(point.drift!.maxPsi).toBe(Math.max(drift.inputs[0]!.psi!, drift.outputs[0]!.psi!));
      expect(point.latencyMs!.p95).toBeGreaterThan(4);
      expect(point.latencyMs!.p95).toBeLessThan(6);
      expect(Object.values(point.classMix!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const confidence = expected.outputs.get('confidence')!;
      expect(point.confidence!.mean).toBeCloseTo(confidence.moments.mean, 12);
      expect(point.confidence!.p50).toBeGreaterThanOrEqual(confidence.moments.min);
      expect(point.confidence!.p50).toBeLessThanOrEqual(confidence.moments.max);
    }
    // d2's drift shows in the last five windows only.
    expect(s.points[8]!.drift!.maxPsi!).toBeGreaterThan(5 * s.points[3]!.drift!.maxPsi!);
  });

  it('slices by label selector, by device and by role', async () => {
    const range = `from=${T0}&to=${T0 + 12 * MIN}&stepMs=60000`;
    const plantA = await series(`${range}&selector=site%3Dplant-a`);
    expect(plantA.points.map((p) => p.reports)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(plantA.points[8]!.drift!.maxPsi!).toBeLessThan(0.1);
    const d2 = await series(`${range}&device=d2`);
    expect(d2.points[8]!.inferences).toBe(20);
    expect(d2.points[8]!.drift!.inputs.brightness!.psi).toBeCloseTo(
      driftReport(baseline.ok ? baseline.value : new Profile(spec), sent.d2![7]!).inputs[0]!.psi!,
      12,
    );
    const unsliced = await series(`${range}&selector=&device=`);
    expect(unsliced.points.map((p) => p.reports)).toEqual([0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0]);
    const shadow = await series(`${range}&role=shadow`);
    expect(shadow.points.every((p) => p.reports === 0)).toBe(true);
  });

  it('reads hourly aggregates when stepMs is a whole number of hours', async () => {
    const s = await series(`from=${T0 - 3_600_000}&to=${T0 + 2 * 3_600_000}&stepMs=3600000`);
    expect(s.source).toBe('aggregates');
    expect(s.points.map((p) => p.reports)).toEqual([0, 20, 0]);
    expect(s.points[1]!.inferences).toBe(400);
    expect(s.points[1]!.drift!.maxPsi).toBeGreaterThan(0);
  });

  it('stops at the row budget, says so, and returns only complete points', async () => {
    const config = t.server.context.config;
    const before = config.timeseriesRowBudget;
    config.timeseriesRowBudget = 5;
    try {
      const s = await series(`from=${T0}&to=${T0 + 15 * MIN}&stepMs=60000`);
      expect(s.truncated).toBe(true);
      expect(s.rowsRead).toBe(6);
      // Rows newest first: windows 9, 9, 8, 8, 7 (one of two): bucket 8 (window 7) is partial and left out.
      expect(s.coveredFrom).toBe(T0 + 9 * MIN);
      expect(s.points.map((p) => [p.t, p.reports])).toEqual([
        [T0 + 9 * MIN, 2],
        [T0 + 10 * MIN, 2],
        ...[11, 12, 13, 14].map((m) => [T0 + m * MIN, 0]),
      ]);
    } finally {
      config.timeseriesRowBudget = before;
    }
  });

  it('answers malformed, oversized and hostile queries with JSON errors', async () => {
    const base = '/api/v1/models/cls/versions/1.0.0/timeseries';
    const cases: [string, number, string][] = [
      [`${base}?from=0&to=${T0}&stepMs=60000`, 400, 'stepMs'],
      [`${base}?from=${T0}&to=${T0 + 86_400_000}&stepMs=5400000`, 400, 'stepMs'],
      [`${base}?from=${T0}&to=${T0}`, 400, 'from'],
      [`${base}?stepMs=abc`, 400, 'stepMs'],
      [`${base}?stepMs=10`, 400, 'stepMs'],
      [`${base}?from=-5`, 400, 'from'],
      [`${base}?from=1e400`, 400, 'from'],
      [`${base}?role=boss`, 400, 'role'],
      [`${base}?selector=site%3D(`, 400, 'selector'],
      [`${base}?selector=${'a'.repeat(5000)}`, 400, 'selector'],
      [`${base}?device=..%2Fetc`, 400, 'device'],
      ['/api/v1/models/cls/versions/9.9.9/timeseries', 404, 'version'],
      ['/api/v1/models/%00/versions/1.0.0/timeseries', 400, 'name'],
    ];
    for (const [path, status, field] of cases) {
      const res = await t.call(path);
      expect(res.status, path).toBe(status);
      const body = (await res.json()) as { error: string; message: string; details: unknown };
      expect(typeof body.error).toBe('string');
      expect(typeof body.message).toBe('string');
      expect(JSON.stringify(body.details ?? body.message), path).toContain(field);
    }
    expect((await t.call(base, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await t.call(base, { headers: { authorization: `Bearer ${tokens.d1}` } })).status).toBe(403);
  });
});

describe('GET /fleet/overview', () => {
  it('counts devices by state, running version and label', async () => {
    const empty = await (await t.call('/api/v1/fleet/overview')).json();
    expect(empty).toMatchObject({
      devices: { total: 4, online: 0, offline: 3, failing: 0, disabled: 1 },
      byVersion: { '(none)': 3 },
      models: 1,
      rollouts: { active: 0 },
    });
    expect(empty.byLabel.site['plant-a']).toBe(1);
    expect(empty.byLabel.site['plant-b']).toBe(1);
    expect(Object.hasOwn(empty.byLabel.site, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(empty.byLabel.site, '__proto__')?.value).toBe(1);

    // d1 connects and reports that it runs cls@1.0.0 and failed to load another version.
    const port = Number(new URL(t.server.context.endpoints.mqttUrl).port);
    mqtt = await connectClient(port, { clientId: 'd1', username: 'd1', password: tokens.d1 });
    const at = Date.now();
    await mqtt.publishAsync(
      deviceTopic('default', 'd1', 'reported'),
      JSON.stringify({
        v: 1,
        type: 'state',
        deviceId: 'd1',
        epoch: 1,
        appliedRev: 0,
        agentVersion: 'test',
        at,
        running: { active: { name: 'cls', version: '1.0.0' }, shadow: null, standby: null },
        errors: [{ step: 'load', message: 'invalid model', model: { name: 'cls', version: '2.0.0' }, at }],
      }),
      { qos: 1 },
    );
    let overview = empty;
    await waitFor(async () => {
      overview = await (await t.call('/api/v1/fleet/overview')).json();
      return overview.devices.online === 1;
    });
    expect(overview).toMatchObject({
      devices: { total: 4, online: 1, offline: 2, failing: 1, disabled: 1 },
      byVersion: { '(none)': 2, 'cls@1.0.0': 1 },
    });
  });

  it('is admin only', async () => {
    expect((await t.call('/api/v1/fleet/overview', { headers: { authorization: '' } })).status).toBe(401);
    expect(
      (await t.call('/api/v1/fleet/overview', { headers: { authorization: `Bearer ${tokens.d2}` } })).status,
    ).toBe(403);
  });
});

describe('GET /devices/{id}/reports', () => {
  it('lists the last reports newest first with latency and software', async () => {
    const res = await t.call('/api/v1/devices/d2/reports?limit=3');
    expect(res.status).toBe(200);
    const { reports } = (await res.json()) as { reports: Record<string, unknown>[] };
    expect(reports.map((r) => r.windowEndMs)).toEqual([T0 + 10 * MIN, T0 + 9 * MIN, T0 + 8 * MIN]);
    expect(reports[0]).toMatchObject({
      modelName: 'cls',
      modelVersion: '1.0.0',
      role: 'active',
      windowStartMs: T0 + 9 * MIN,
      inferences: 20,
      errors: 0,
      status: 'merged',
      software: { rssBytes: 50_000_000 },
      receivedAt: T0 + 30 * MIN,
    });
    const latency = reports[0]!.latencyMs as { p50: number; p95: number; p99: number };
    expect(latency.p50).toBeGreaterThan(4);
    expect(latency.p99).toBeLessThan(6);
    const all = (await (await t.call('/api/v1/devices/d1/reports')).json()) as { reports: unknown[] };
    expect(all.reports).toHaveLength(10);
    expect((await (await t.call('/api/v1/devices/d3/reports')).json()).reports).toEqual([]);
  });

  it('answers unknown devices and bad limits with JSON errors', async () => {
    for (const [path, status] of [
      ['/api/v1/devices/nobody/reports', 404],
      ['/api/v1/devices/d1/reports?limit=0', 400],
      ['/api/v1/devices/d1/reports?limit=201', 400],
      ['/api/v1/devices/d1/reports?limit=abc', 400],
      ['/api/v1/devices/d1/reports?limit=1.5', 400],
      [`/api/v1/devices/${'x'.repeat(300)}/reports`, 400],
    ] as const) {
      const res = await t.call(path);
      expect(res.status, path).toBe(status);
      expect(Object.keys(await res.json())).toEqual(expect.arrayContaining(['error', 'message']));
    }
  });
});

describe('OpenAPI', () => {
  it('documents the monitoring, alert and event routes', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    for (const path of [
      '/api/v1/models/{name}/versions/{version}/timeseries',
      '/api/v1/fleet/overview',
      '/api/v1/devices/{id}/reports',
      '/api/v1/alerts',
      '/api/v1/alerts/{id}/ack',
      '/api/v1/events',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(JSON.stringify(doc.paths['/api/v1/events'])).toContain('text/event-stream');
  });
});
