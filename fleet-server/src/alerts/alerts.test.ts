import { deviceTopic, type ProfileSpec } from '@edgefleet/shared';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDeviceReports, windowReport } from '../monitoring/test-reports';
import { connectClient, waitFor } from '../mqtt/test-clients';
import { registerClsVersions } from '../rollouts/test-support';
import { enrollTestDevice } from '../testing/enroll';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import type { Alerts } from '.';

// Real server, real SQLite and broker; the evaluator is driven by hand (tick 0, event triggers stopped) so
// every step is deterministic, against conditions made through the real MQTT and HTTP paths.

const MIN = 60_000;
const spec = clsBaseline().spec as ProfileSpec;
let t: TestServer;
let alerts: Alerts;
const tokens: Record<string, string> = {};
const clients: MqttClient[] = [];

interface AlertView {
  id: number;
  kind: string;
  key: string;
  severity: string;
  status: string;
  subject: Record<string, unknown>;
  message: string;
  details: Record<string, unknown>;
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
}

const list = async (query = 'status=all') => {
  const res = await t.call(`/api/v1/alerts?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: AlertView[] }).alerts;
};

beforeAll(async () => {
  t = await startTestServer({
    alertTickMs: 0,
    alertSilentMs: MIN,
    alertDriftMinInferences: 100,
    alertDriftWindowMs: 3_600_000,
  });
  alerts = t.server.parts.alerts;
  alerts.evaluator.close(); // no event-triggered runs: the test calls evaluate()
  await registerClsVersions(t, ['1.0.0', '2.0.0']);
  tokens.d1 = await enrollTestDevice(t, 'd1', { site: 'a' });
  tokens.d2 = await enrollTestDevice(t, 'd2', { site: 'a' });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.dispose();
});

async function connect(id: string): Promise<MqttClient> {
  const port = Number(new URL(t.server.context.endpoints.mqttUrl).port);
  const client = await connectClient(port, { clientId: id, username: id, password: tokens[id] });
  clients.push(client);
  return client;
}

async function reportState(client: MqttClient, id: string, running: string | null, errors: unknown[]) {
  const before = (await (await t.call(`/api/v1/devices/${id}`)).json()).reportedAt;
  await client.publishAsync(
    deviceTopic('default', id, 'reported'),
    JSON.stringify({
      v: 1,
      type: 'state',
      deviceId: id,
      epoch: 1,
      appliedRev: 0,
      agentVersion: 'test',
      at: t.clock.nowMs, // the device's clock is the server's here (the server learns offsets from it)
      running: { active: running ? { name: 'cls', version: running } : null, shadow: null, standby: null },
      errors,
    }),
    { qos: 1 },
  );
  t.clock.nowMs += 1;
  await waitFor(async () => (await (await t.call(`/api/v1/devices/${id}`)).json()).reportedAt !== before);
}

describe('alert conditions', () => {
  it('raises device_silent for devices never seen, updates it while it holds, resolves it when they connect', async () => {
    expect(alerts.evaluator.evaluate()).toEqual([]);
    t.clock.nowMs += 2 * MIN;
    const opened = alerts.evaluator.evaluate();
    expect(opened.map((c) => c.status)).toEqual(['open', 'open']);
    t.clock.nowMs += 1_000;
    expect(alerts.evaluator.evaluate()).toEqual([]); // the same conditions: updated, not new
    const silent = (await list('status=open&kind=device_silent')).find((a) => a.subject.deviceId === 'd1')!;
    expect(silent).toMatchObject({
      severity: 'warning',
      count: 2,
      key: 'device_silent:d1',
      resolvedAt: null,
    });
    expect(silent.lastSeenAt - silent.firstSeenAt).toBe(1_000);
    expect(silent.message).toContain('never connected');

    const d1 = await connect('d1');
    await d1.publishAsync(
      deviceTopic('default', 'd1', 'presence'),
      JSON.stringify({ v: 1, status: 'online', epoch: 1, at: Date.now() }),
      { qos: 1, retain: true },
    );
    await waitFor(async () => (await (await t.call('/api/v1/devices/d1')).json()).online === true);
    const resolved = alerts.evaluator.evaluate();
    expect(resolved).toEqual([{ id: silent.id, kind: 'device_silent', status: 'resolved' }]);
    expect((await list('status=resolved'))[0]).toMatchObject({ id: silent.id, status: 'resolved' });
    expect((await list('status=open&kind=device_silent')).map((a) => a.subject.deviceId)).toEqual(['d2']);
  });

  it('raises device_silent for an online device that runs a model but stopped reporting', async () => {
    const d1 = clients[0]!;
    await reportState(d1, 'd1', '1.0.0', []);
    alerts.evaluator.evaluate();
    expect((await list('status=open&kind=device_silent')).map((a) => a.subject.deviceId)).toEqual(['d2']);
    t.clock.nowMs += 2 * MIN;
    alerts.evaluator.evaluate();
    const open = await list('status=open&kind=device_silent');
    expect(open.find((a) => a.subject.deviceId === 'd1')?.message).toContain('no report');
    const { report } = windowReport(spec, 'd1', 1, t.clock.nowMs - MIN, { inferences: 10 });
    await postDeviceReports(t, tokens.d1!, [report]);
    alerts.evaluator.evaluate();
    expect((await list('status=open&kind=device_silent')).map((a) => a.subject.deviceId)).toEqual(['d2']);
  });

  it('raises apply_failed per device and version from the reported errors, and resolves it when they clear', async () => {
    const d1 = clients[0]!;
    const error = {
      step: 'verify_signature',
      message: 'bad signature',
      model: { name: 'cls', version: '2.0.0' },
      rev: 3,
      at: 1,
    };
    const serving = { step: 'infer', message: 'a serving error is no deploy failure', at: 1 };
    await reportState(d1, 'd1', '1.0.0', [error, serving]);
    const opened = alerts.evaluator.evaluate().filter((c) => c.kind === 'apply_failed');
    expect(opened).toHaveLength(1);
    const [alert] = await list('status=open&kind=apply_failed');
    expect(alert).toMatchObject({
      key: 'apply_failed:d1:cls@2.0.0',
      subject: { deviceId: 'd1', model: 'cls', version: '2.0.0' },
      details: { step: 'verify_signature', error: 'bad signature', rev: 3 },
    });
    expect(alert!.message).toContain('bad signature');
    await reportState(d1, 'd1', '1.0.0', []);
    expect(alerts.evaluator.evaluate()).toContainEqual({
      id: alert!.id,
      kind: 'apply_failed',
      status: 'resolved',
    });
  });

  it('raises drift only with enough inferences, against the threshold, per version', async () => {
    const now = t.clock.nowMs;
    const drifting = (seq: number, inferences: number) =>
      windowReport(spec, 'd1', seq, now - 30 * MIN + seq * MIN, { inferences, inputShift: 0.5 }).report;
    const healthy = (seq: number) =>
      windowReport(spec, 'd2', seq, now - 30 * MIN + seq * MIN, { inferences: 60 }, { version: '2.0.0' })
        .report;
    await postDeviceReports(t, tokens.d1!, [drifting(10, 50)]);
    await postDeviceReports(t, tokens.d2!, [healthy(10), healthy(11)]);
    alerts.evaluator.evaluate();
    expect(await list('status=all&kind=drift')).toEqual([]); // 50 < 100 inferences
    await postDeviceReports(t, tokens.d1!, [drifting(11, 60)]);
    alerts.evaluator.evaluate();
    const drift = await list('status=open&kind=drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({
      key: 'drift:cls@1.0.0:active',
      subject: { model: 'cls', version: '1.0.0', role: 'active' },
      severity: 'critical',
    });
    expect(drift[0]!.details.maxPsi as number).toBeGreaterThanOrEqual(0.5);
    expect(drift[0]!.details.inferences).toBe(120); // with the 10 of the previous test's report
    // An hour later the window holds nothing: too little data to judge is left as it is, not resolved...
    t.clock.nowMs += 2 * 3_600_000;
    alerts.evaluator.evaluate();
    expect((await list('status=open&kind=drift')).map((a) => a.id)).toEqual([drift[0]!.id]);
    // ...while a healthy window resolves it.
    const fresh = Array.from(
      { length: 3 },
      (_, i) =>
        windowReport(spec, 'd1', 20 + i, t.clock.nowMs - 10 * MIN + i * MIN, { inferences: 50 }).report,
    );
    await postDeviceReports(t, tokens.d1!, fresh);
    alerts.evaluator.evaluate();
    expect((await list('status=resolved&kind=drift')).map((a) => a.id)).toEqual([drift[0]!.id]);

    // A window under an hour merges the raw reports; the drift coming back opens a new alert.
    const config = t.server.context.config;
    config.alertDriftWindowMs = 5 * MIN;
    try {
      const recent = windowReport(spec, 'd1', 30, t.clock.nowMs - 3 * MIN, {
        inferences: 150,
        inputShift: -0.5,
      });
      await postDeviceReports(t, tokens.d1!, [recent.report]);
      alerts.evaluator.evaluate();
      const again = await list('status=open&kind=drift');
      expect(again).toHaveLength(1);
      expect(again[0]!.id).not.toBe(drift[0]!.id);
      expect(again[0]!.details.inferences).toBe(150);
      expect(again[0]!.details.reports).toBe(1);
    } finally {
      config.alertDriftWindowMs = 3_600_000;
    }
  });
});

describe('disabled devices', () => {
  it('raise nothing: disabling a silent device resolves its alert', async () => {
    alerts.evaluator.evaluate();
    const before = (await list('status=all&kind=device_silent')).filter(
      (a) => a.subject.deviceId === 'd2' && a.resolvedAt === null,
    );
    expect(before).toHaveLength(1);
    expect((await t.call('/api/v1/devices/d2', { method: 'PATCH', json: { disabled: true } })).status).toBe(
      200,
    );
    alerts.evaluator.evaluate();
    const after = (await list('status=all&kind=device_silent')).find((a) => a.id === before[0]!.id)!;
    expect(after.status).toBe('resolved');
    expect((await t.call('/api/v1/devices/d2', { method: 'PATCH', json: { disabled: false } })).status).toBe(
      200,
    );
    // Still silent once enabled again: a new alert, the resolved one stays resolved.
    alerts.evaluator.evaluate();
    const reopened = (await list('status=open&kind=device_silent')).filter(
      (a) => a.subject.deviceId === 'd2',
    );
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.id).not.toBe(before[0]!.id);
    expect(reopened[0]!.count).toBe(1);
  });
});

describe('POST /alerts/{id}/ack and GET /alerts', () => {
  it('acknowledges once with who and why, then answers 409', async () => {
    const [alert] = await list('status=open&kind=device_silent');
    const res = await t.call(`/api/v1/alerts/${alert!.id}/ack`, {
      method: 'POST',
      json: { note: 'battery swap' },
    });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as AlertView;
    expect(acked).toMatchObject({ id: alert!.id, status: 'acknowledged', ackNote: 'battery swap' });
    expect(acked.acknowledgedBy).toMatch(/^admin:/);
    expect(acked.acknowledgedAt).toBe(t.clock.nowMs);
    const again = await t.call(`/api/v1/alerts/${alert!.id}/ack`, { method: 'POST', json: {} });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conflict', details: { field: 'id' } });
    expect((await list('status=acknowledged')).map((a) => a.id)).toEqual([alert!.id]);
    expect((await list('status=open')).map((a) => a.id)).not.toContain(alert!.id);
    // Still holding: evaluation keeps updating the acknowledged alert rather than opening another.
    alerts.evaluator.evaluate();
    expect((await list('status=acknowledged'))[0]!.count).toBeGreaterThan(alert!.count);
  });

  it('acknowledges without a body', async () => {
    const [resolved] = await list('status=resolved');
    const res = await t.call(`/api/v1/alerts/${resolved!.id}/ack`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await res.json()).ackNote).toBeNull();
  });

  it('answers malformed, oversized and hostile input with JSON errors', async () => {
    const cases: [string, RequestInit & { json?: unknown }, number][] = [
      ['/api/v1/alerts/999999/ack', { method: 'POST', json: {} }, 404],
      ['/api/v1/alerts/abc/ack', { method: 'POST', json: {} }, 400],
      ['/api/v1/alerts/-1/ack', { method: 'POST', json: {} }, 400],
      ['/api/v1/alerts/1e400/ack', { method: 'POST', json: {} }, 400],
      ['/api/v1/alerts/1/ack', { method: 'POST', json: { note: 5 } }, 400],
      ['/api/v1/alerts/1/ack', { method: 'POST', json: { note: 'x'.repeat(1_001) } }, 400],
      ['/api/v1/alerts/1/ack', { method: 'POST', json: { note: 'ok', admin: true } }, 400],
      ['/api/v1/alerts/1/ack', { method: 'POST', json: [1, 2] }, 400],
      [
        '/api/v1/alerts/1/ack',
        { method: 'POST', body: '{"note":', headers: { 'content-type': 'application/json' } },
        400,
      ],
      ['/api/v1/alerts/1/ack', { method: 'POST', json: { note: 'x'.repeat(2 * 1024 * 1024) } }, 413],
      ['/api/v1/alerts?status=closed', {}, 400],
      ['/api/v1/alerts?kind=__proto__', {}, 400],
      ['/api/v1/alerts?limit=0', {}, 400],
      ['/api/v1/alerts?limit=100000', {}, 400],
      ['/api/v1/alerts', { headers: { authorization: 'Bearer efa_nope' } }, 401],
      ['/api/v1/alerts', { headers: { authorization: `Bearer ${tokens.d1}` } }, 403],
      ['/api/v1/alerts/1/ack', { method: 'POST', headers: { authorization: `Bearer ${tokens.d1}` } }, 403],
    ];
    for (const [path, init, status] of cases) {
      const res = await t.call(path, init);
      expect(res.status, `${path} ${JSON.stringify(init).slice(0, 80)}`).toBe(status);
      const body = (await res.json()) as { error: string; message: string };
      expect(typeof body.error).toBe('string');
      expect(typeof body.message).toBe('string');
    }
    expect(await list('status=all&limit=1')).toHaveLength(1);
    expect((await list('status=all&kind=')).length).toBeGreaterThan(1);
  });
});
