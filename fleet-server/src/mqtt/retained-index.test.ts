import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from './broker';
import { staticBrokerAuth } from './principal';
import { collectMessages, connectClient, sleep } from './test-clients';

const fleet = 'f1';
const topic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;

let broker: EmbeddedBroker;
let port: number;
let server: MqttClient;

beforeAll(async () => {
  broker = await startBroker({
    fleet,
    auth: staticBrokerAuth({
      devices: { d1: 't1', d2: 't2', d3: 't3' },
      server: { username: 'server', password: 'srv' },
    }),
  });
  port = broker.tcpPort!;
  server = await connectClient(port, { clientId: 'server-1', username: 'server', password: 'srv' });
});

afterAll(async () => {
  await server?.endAsync(true);
  await broker?.close();
});

/** Retained messages a fresh subscriber to `filters` gets within `waitMs` (payloads by topic). */
async function retainedFor(filters: string[], waitMs = 300): Promise<Record<string, string[]>> {
  const client = await connectClient(port, { clientId: 'server-probe', username: 'server', password: 'srv' });
  const got: Record<string, string[]> = {};
  client.on('message', (t, payload, packet) => {
    if (packet.retain) got[t] = [...(got[t] ?? []), payload.toString()];
  });
  await client.subscribeAsync(filters, { qos: 1 });
  await sleep(waitMs);
  await client.endAsync(true);
  return got;
}

describe('retained messages served by exact topic', () => {
  it('an exact subscription gets the latest retained message of its topic only, a wildcard gets every one', async () => {
    await server.publishAsync(topic('d1', 'desired'), 'rev1', { qos: 1, retain: true });
    await server.publishAsync(topic('d1', 'desired'), 'rev2', { qos: 1, retain: true });
    await server.publishAsync(topic('d2', 'desired'), 'other', { qos: 1, retain: true });

    const device = await connectClient(port, { clientId: 'd1', username: 'd1', password: 't1' });
    const first = collectMessages(device, 1, 5_000, topic('d1', 'desired'));
    await device.subscribeAsync(topic('d1', 'desired'), { qos: 1 });
    expect((await first).map((m) => m.payload.toString())).toEqual(['rev2']);
    await device.endAsync(true);

    expect(await retainedFor([`ef/v1/${fleet}/dev/+/desired`])).toEqual({
      [topic('d1', 'desired')]: ['rev2'],
      [topic('d2', 'desired')]: ['other'],
    });
    // Exact and wildcard filters in one SUBSCRIBE: each filter answered, as aedes does.
    expect(await retainedFor([topic('d2', 'desired'), `ef/v1/${fleet}/dev/d1/+`])).toEqual({
      [topic('d2', 'desired')]: ['other'],
      [topic('d1', 'desired')]: ['rev2'],
    });
  });

  it('an empty retained payload clears the topic for exact and wildcard subscribers', async () => {
    await server.publishAsync(topic('d3', 'desired'), 'gone soon', { qos: 1, retain: true });
    expect(await retainedFor([topic('d3', 'desired')])).toEqual({ [topic('d3', 'desired')]: ['gone soon'] });
    await server.publishAsync(topic('d3', 'desired'), '', { qos: 1, retain: true });
    expect(await retainedFor([topic('d3', 'desired')])).toEqual({});
    expect(Object.keys(await retainedFor([`ef/v1/${fleet}/dev/#`]))).not.toContain(topic('d3', 'desired'));
  });

  it('a topic with no retained message answers nothing', async () => {
    expect(await retainedFor([topic('nobody', 'desired')])).toEqual({});
  });
});
