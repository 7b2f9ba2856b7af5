import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from './broker';
import { connectExternalLink, createEmbeddedLink } from './link';
import { staticBrokerAuth } from './principal';
import { collectMessages, connectClient, sleep, waitFor } from './test-clients';

const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

async function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1_000);
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
    socket.connect(port, host);
  });
}

describe('embedded link', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startBroker({ fleet: 'f1', auth: staticBrokerAuth({ devices: { d1: 't1' } }) });
  });
  afterAll(() => broker.close());

  it('receives device publishes and publishes to devices without a socket', async () => {
    const link = createEmbeddedLink(broker.aedes);
    const received: string[] = [];
    const unsubscribe = await link.subscribe('ef/v1/f1/dev/+/telemetry', async (topic, payload) => {
      await sleep(5); // a slow handler holds back reading from the publisher's socket, it loses nothing
      received.push(`${topic} ${payload.toString()}`);
    });
    const device = await connectClient(broker.tcpPort!, { clientId: 'd1', username: 'd1', password: 't1' });
    await device.subscribeAsync('ef/v1/f1/dev/d1/ack', { qos: 1 });
    await Promise.all(
      [1, 2, 3].map((n) => device.publishAsync('ef/v1/f1/dev/d1/telemetry', `r${n}`, { qos: 1 })),
    );
    await waitFor(() => received.length === 3);
    expect(received.sort()).toEqual([1, 2, 3].map((n) => `ef/v1/f1/dev/d1/telemetry r${n}`));
    const acks = collectMessages(device, 1);
    await link.publish('ef/v1/f1/dev/d1/ack', '{"seq":3}', { qos: 1 });
    expect((await acks)[0]!.payload.toString()).toBe('{"seq":3}');
    await unsubscribe();
    await device.publishAsync('ef/v1/f1/dev/d1/telemetry', 'late', { qos: 1 });
    await sleep(50);
    expect(received).toHaveLength(3);
    await device.endAsync(true);
    await link.close();
  });
});

const mosquittoUp = await reachable(MOSQUITTO.host, MOSQUITTO.port);
if (!mosquittoUp) {
  console.warn(
    `SKIPPED external broker interop: no Mosquitto reachable on ${MOSQUITTO.host}:${MOSQUITTO.port}`,
  );
}

describe.skipIf(!mosquittoUp)('external link against the real Mosquitto on 127.0.0.1:1883', () => {
  const url = `mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`;
  const fleet = `it-${randomUUID().slice(0, 8)}`;

  it('splits a shared subscription between two server replicas (MQTT 5)', async () => {
    const a = await connectExternalLink({ url });
    const b = await connectExternalLink({ url });
    expect(a.sharedSubscriptions).toBe(true);
    const seen = { a: [] as string[], b: [] as string[] };
    await a.subscribe(`ef/v1/${fleet}/dev/+/telemetry`, (_t, p) => void seen.a.push(p.toString()), {
      shared: true,
    });
    await b.subscribe(`ef/v1/${fleet}/dev/+/telemetry`, (_t, p) => void seen.b.push(p.toString()), {
      shared: true,
    });
    const device = await connectClient(MOSQUITTO.port, { clientId: `dev-${fleet}` });
    for (let i = 0; i < 40; i++)
      await device.publishAsync(`ef/v1/${fleet}/dev/d${i % 4}/telemetry`, `m${i}`, { qos: 1 });
    await sleep(300);
    const all = [...seen.a, ...seen.b].sort();
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`).sort());
    expect(seen.a.length).toBeGreaterThan(0);
    expect(seen.b.length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close(), device.endAsync(true)]);
  });

  it('publishes retained QoS 1 desired states that a device sees on subscribe', async () => {
    const link = await connectExternalLink({ url });
    const topic = `ef/v1/${fleet}/dev/d1/desired`;
    await link.publish(topic, '{"rev":7}', { qos: 1, retain: true });
    const device = await connectClient(MOSQUITTO.port, { clientId: `d1-${fleet}` });
    const got = collectMessages(device, 1, 3_000, topic);
    await device.subscribeAsync(topic, { qos: 1 });
    expect((await got)[0]!.payload.toString()).toBe('{"rev":7}');
    await link.publish(topic, '', { qos: 1, retain: true }); // clear the retained message again
    await Promise.all([link.close(), device.endAsync(true)]);
  });

  it('uses plain subscriptions on MQTT 3.1.1', async () => {
    const link = await connectExternalLink({ url, protocolVersion: 4 });
    const received: string[] = [];
    await link.subscribe(`ef/v1/${fleet}/app/+/telemetry`, (_t, p) => void received.push(p.toString()), {
      shared: true,
    });
    const client = await connectClient(MOSQUITTO.port, { clientId: `app-${fleet}` });
    await client.publishAsync(`ef/v1/${fleet}/app/web/telemetry`, 'hello', { qos: 1 });
    await sleep(200);
    expect(received).toEqual(['hello']);
    expect(link.sharedSubscriptions).toBe(false);
    await Promise.all([link.close(), client.endAsync(true)]);
  });
});
