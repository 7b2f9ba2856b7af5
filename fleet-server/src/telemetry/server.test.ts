import { request } from 'node:http';
import type { Ack } from '@edgefleet/shared';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMessages, connectClient } from '../mqtt/test-clients';
import { startTestServer, type TestServer } from '../testing/harness';
import { clsReport, clsWindowProfile, insertClsVersion } from './fixtures';

// The whole server (embedded broker, HTTP API, SQLite) with real credentials from enrollment and app creation.

let t: TestServer;
let deviceToken: string;
let appId: string;
let appKey: string;
const fleet = 'default';
const devTopic = (kind: string) => `ef/v1/${fleet}/dev/station-1/${kind}`;

beforeAll(async () => {
  t = await startTestServer();
  insertClsVersion(t.server.context.db, '1.0.0');
  const created = await (await t.call('/api/v1/apps', { method: 'POST', json: { name: 'shop' } })).json();
  appId = created.id;
  appKey = created.publishableKey;
  const enrollment = await (
    await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: { site: 'plant-a' } } })
  ).json();
  const enrolled = await (
    await fetch(`${t.url}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        enrollmentToken: enrollment.token,
        deviceId: 'station-1',
        labels: {},
        capabilities: { platform: 'node', backends: ['cpu'] },
        agentVersion: '0.1.0',
      }),
    })
  ).json();
  deviceToken = enrolled.deviceToken;
  expect(enrolled.mqttUrl).toMatch(/^mqtt:\/\/.+:\d+$/);
});

afterAll(async () => {
  await t?.dispose();
});

/** POSTs on a fresh connection: an answer sent before the body was read ends a keep-alive connection. */
function statusWithoutKeepAlive(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const postTelemetry = (body: string, query = `?key=${appKey}`, contentType = 'text/plain;charset=UTF-8') =>
  fetch(`${t.url}/api/v1/telemetry${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });

describe('fleet server: MQTT and telemetry wired in', () => {
  it('lets an enrolled device report over MQTT and acks after storing', async () => {
    const port = t.server.parts.mqtt.broker!.tcpPort!;
    await expect(
      connectClient(port, { clientId: 'station-1', username: 'station-1', password: 'wrong' }),
    ).rejects.toThrow();
    const device = await connectClient(port, {
      clientId: 'station-1',
      username: 'station-1',
      password: deviceToken,
    });
    await device.subscribeAsync(devTopic('ack'), { qos: 1 });
    const acks = collectMessages(device, 1);
    await device.publishAsync(
      devTopic('telemetry'),
      JSON.stringify(clsReport('station-1', 1, clsWindowProfile(1))),
      { qos: 1 },
    );
    expect(JSON.parse((await acks)[0]!.payload.toString())).toEqual({
      v: 1,
      clientId: 'station-1',
      epoch: 1,
      seq: 1,
      seqs: [1],
    });
    await device.endAsync(true);
  });

  it('takes browser reports over HTTP (sendBeacon style) and acks duplicates again', async () => {
    const body = JSON.stringify({
      reports: [
        clsReport('browser-7', 1, clsWindowProfile(11)),
        clsReport('browser-7', 2, clsWindowProfile(12)),
      ],
    });
    for (const expected of ['stored', 'duplicate']) {
      const res = await postTelemetry(body);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { acks: Ack[]; results: { status: string }[] };
      expect(answer.acks).toEqual([{ v: 1, clientId: 'browser-7', epoch: 1, seq: 2, seqs: [1, 2] }]);
      expect(answer.results.map((r) => r.status)).toEqual([expected, expected]);
    }
  });

  it('answers hostile HTTP telemetry with 4xx and stores nothing', async () => {
    const before = t.server.context.database.sqlite
      .prepare('select count(*) as n from telemetry_reports')
      .get();
    expect((await postTelemetry('{nope')).status).toBe(400);
    expect((await postTelemetry(JSON.stringify({ reports: [] }))).status).toBe(400);
    const invalid = await postTelemetry(
      JSON.stringify({ reports: [{ ...clsReport('b', 1, clsWindowProfile(1)), seq: -1 }] }),
    );
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).details.field).toMatch(/seq/);
    // Too large: refused before the body is read, so again on its own connection.
    const tooLarge = `${t.url}/api/v1/telemetry?key=${appKey}`;
    expect(await statusWithoutKeepAlive(tooLarge, 'x'.repeat(1_100_000))).toBe(413);
    // Without a key.
    expect(await statusWithoutKeepAlive(`${t.url}/api/v1/telemetry`, '{}')).toBe(401);
    // A device token may post only its own client id.
    const foreign = await fetch(`${t.url}/api/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [clsReport('station-2', 1, clsWindowProfile(1))] }),
    });
    expect((await foreign.json()).results[0].reason).toBe('client_mismatch');
    const after = t.server.context.database.sqlite
      .prepare('select count(*) as n from telemetry_reports')
      .get();
    expect(after).toEqual(before);
  });

  it('serves MQTT over WebSocket on /mqtt for browsers with the app key', async () => {
    const client = await connectAsync(`${t.url.replace('http', 'ws')}/mqtt`, {
      clientId: `app:${appId}:browser-7`,
      username: `app:${appId}`,
      password: appKey,
      reconnectPeriod: 0,
    });
    const granted = await client.subscribeAsync(`ef/v1/${fleet}/app/${appId}/desired`, { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    await client.endAsync(true);
  });

  it('answers metrics for a version: merged profile, latency quantiles, error rate, drift', async () => {
    const from = Date.UTC(2026, 10, 23, 0);
    const res = await t.call(
      `/api/v1/models/cls/versions/1.0.0/metrics?from=${from}&to=${from + 86_400_000}`,
    );
    expect(res.status).toBe(200);
    const m = await res.json();
    expect(m).toMatchObject({ reports: 3, devices: 1, apps: 1, inferences: 180 });
    expect(m.latencyMs.total.p95).toBeGreaterThan(m.latencyMs.total.p50);
    expect(m.errorRate).toBeGreaterThanOrEqual(0);
    expect(m.drift.verdict).toMatch(/ok|warn|alert|insufficient/);
    const selected = await (
      await t.call(
        `/api/v1/models/cls/versions/1.0.0/metrics?from=${from}&to=${from + 86_400_000}&selector=site%3Dplant-a`,
      )
    ).json();
    expect(selected).toMatchObject({ reports: 1, devices: 1, apps: 0 });
    expect((await t.call('/api/v1/models/cls/versions/1.0.0/metrics?selector=%3D%3D')).status).toBe(400);
  });

  // Broker HTTP auth hooks: tested in src/mqtt/broker-hooks.test.ts (they need --broker-hook-secret in embedded mode).

  it('exports broker and ingest figures on /metrics', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/edgefleet_ingest_reports_total\{outcome="stored"\} 3/);
    expect(text).toMatch(/edgefleet_mqtt_connected_clients/);
    expect(text).toMatch(/edgefleet_ingest_rejected_total\{reason="invalid_json"\} 1/);
  });
});
