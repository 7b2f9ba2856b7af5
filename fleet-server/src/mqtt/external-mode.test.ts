import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import type { DesiredState } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { clsReport, clsWindowProfile, insertClsVersion } from '../telemetry/fixtures';
import { startTestServer, type TestServer } from '../testing/harness';
import { collectMessages, connectClient, waitFor } from './test-clients';

// `edgefleet serve --mqtt-url mqtt://127.0.0.1:1883`: the whole server against the real Mosquitto.

const MOSQUITTO_PORT = 1883;
const mosquittoUp = await new Promise<boolean>((resolve) => {
  const socket = new Socket();
  socket.setTimeout(1_000);
  socket.once('connect', () => {
    socket.destroy();
    resolve(true);
  });
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => resolve(false));
  socket.connect(MOSQUITTO_PORT, '127.0.0.1');
});
if (!mosquittoUp)
  console.warn(`SKIPPED external broker mode: no Mosquitto reachable on 127.0.0.1:${MOSQUITTO_PORT}`);

describe.skipIf(!mosquittoUp)('fleet server in external broker mode (real Mosquitto)', () => {
  // A fleet of its own, so parallel runs on the shared Mosquitto never see each other's messages.
  const fleet = `it-${randomUUID().slice(0, 8)}`;
  const topic = (kind: string) => `ef/v1/${fleet}/dev/station-9/${kind}`;
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer({ mqttUrl: `mqtt://127.0.0.1:${MOSQUITTO_PORT}`, fleet });
    insertClsVersion(t.server.context.db, '1.0.0');
    t.server.context.db
      .insert(schema.devices)
      .values({ id: 'station-9', tokenHash: 'x', labels: {}, createdAt: Date.now() })
      .run();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const runtime = () => t.server.parts.mqtt;

  it('runs no embedded broker and links with a shared subscription', () => {
    expect(runtime().broker).toBeNull();
    expect(runtime().link).toMatchObject({ kind: 'external', sharedSubscriptions: true });
  });

  it('ingests telemetry published to Mosquitto and acks it through Mosquitto', async () => {
    const device = await connectClient(MOSQUITTO_PORT, { clientId: `station-9-${fleet}` });
    await device.subscribeAsync(topic('ack'), { qos: 1 });
    const acks = collectMessages(device, 1, 5_000);
    await device.publishAsync(
      topic('telemetry'),
      JSON.stringify(clsReport('station-9', 4, clsWindowProfile(4))),
      { qos: 1 },
    );
    expect(JSON.parse((await acks)[0]!.payload.toString())).toMatchObject({ clientId: 'station-9', seq: 4 });
    await device.endAsync(true);
  });

  it('publishes desired states through Mosquitto and answers a hello from an older rev', async () => {
    const sessions = t.server.parts.deviceState.sessions;
    await sessions.publishDesired('station-9', {
      models: { active: null, shadow: null, standby: null },
      telemetry: { windowMs: 60_000, maxInFlight: 8, outboxMaxReports: 1_000 },
      policies: { golden: 'if_present', shadowSampleRate: 0 },
    });
    const device = await connectClient(MOSQUITTO_PORT, { clientId: `station-9b-${fleet}` });
    const seen: DesiredState[] = [];
    device.on('message', (_t, p) => p.length > 0 && seen.push(JSON.parse(p.toString())));
    await device.subscribeAsync(topic('desired'), { qos: 1 });
    await waitFor(() => seen.length === 1); // retained
    const hello = {
      type: 'hello',
      v: 1,
      deviceId: 'station-9',
      epoch: 1,
      appliedRev: 0,
      agentVersion: '0.1.0',
      at: Date.now(),
      capabilities: { platform: 'node', backends: ['cpu'] },
      running: { active: null, shadow: null, standby: null },
    };
    await device.publishAsync(topic('reported'), JSON.stringify(hello), { qos: 1 });
    await waitFor(() => seen.length === 2);
    expect(seen.map((s) => s.rev)).toEqual([1, 1]);
    // Clear the retained desired state this test left on the shared Mosquitto.
    await device.publishAsync(topic('desired'), '', { qos: 1, retain: true });
    await device.endAsync(true);
  });
});
