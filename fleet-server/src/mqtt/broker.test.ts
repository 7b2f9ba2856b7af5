import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { MqttClient, Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startBroker } from './broker';
import { staticBrokerAuth } from './principal';
import { collectMessages, connectClient, sleep } from './test-clients';

const run = promisify(execFile);
const fleet = 'f1';
const topic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const devices: Record<string, string> = { d1: 'token-1', d2: 'token-2' };
for (let i = 0; i < 48; i++) devices[`s${i}`] = `token-s${i}`;

let broker: EmbeddedBroker;
let port: number;
let server: MqttClient;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  broker = await startBroker({
    fleet,
    auth: staticBrokerAuth({
      devices,
      apps: { web: 'pk-web' },
      server: { username: 'server', password: 'srv' },
    }),
    maxBufferedBytes: 256 * 1024,
  });
  port = broker.tcpPort!;
  server = await connectClient(port, { clientId: 'server-1', username: 'server', password: 'srv' });
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await server?.endAsync(true);
  await broker?.close();
});

/** The broker still routes a QoS 1 message from a device to the server end to end. */
async function expectServing(deviceId = 'd1') {
  const probe = await connectClient(port, {
    clientId: deviceId,
    username: deviceId,
    password: devices[deviceId],
  });
  await server.subscribeAsync(topic(deviceId, 'reported'), { qos: 1 });
  const got = collectMessages(server, 1, 5_000, topic(deviceId, 'reported'));
  await probe.publishAsync(topic(deviceId, 'reported'), 'ping', { qos: 1 });
  expect((await got)[0]!.payload.toString()).toBe('ping');
  await probe.endAsync(true);
}

/** The SUBACK return codes for `filters` (mqtt.js rejects the whole call when any is 0x80). */
function grantedQos(client: MqttClient, filters: string[], qos: 0 | 1): Promise<number[]> {
  return new Promise((resolve) => {
    const onPacket = (packet: Packet) => {
      if (packet.cmd !== 'suback') return;
      client.off('packetreceive', onPacket);
      resolve(packet.granted.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos)));
    };
    client.on('packetreceive', onPacket);
    client.subscribe(filters, { qos }, () => {});
  });
}

async function expectNothingOn(filter: string, act: () => Promise<unknown>) {
  const seen: string[] = [];
  const listener = (t: string) => seen.push(t);
  await server.subscribeAsync(filter, { qos: 1 });
  server.on('message', listener);
  await act();
  await sleep(300);
  server.off('message', listener);
  expect(seen.filter((t) => t === filter)).toEqual([]);
}

describe('embedded broker auth', () => {
  it('accepts a device with its own id and token', async () => {
    await expectServing('d1');
  });

  it('rejects wrong passwords and a device token under another client id', async () => {
    await expect(connectClient(port, { clientId: 'd1', username: 'd1', password: 'nope' })).rejects.toThrow();
    await expect(
      connectClient(port, { clientId: 'd2', username: 'd1', password: devices.d1 }),
    ).rejects.toThrow();
    await expect(connectClient(port, { clientId: 'anon' })).rejects.toThrow();
    expect(broker.stats.connectsRejected).toBeGreaterThanOrEqual(3);
  });

  it('closes a client that publishes to another device and delivers nothing', async () => {
    const d1 = await connectClient(port, { clientId: 'd1', username: 'd1', password: devices.d1 });
    const closed = new Promise<void>((resolve) => d1.once('close', () => resolve()));
    await expectNothingOn(topic('d2', 'telemetry'), async () => {
      d1.publish(topic('d2', 'telemetry'), '{}', { qos: 0 });
      await closed;
    });
    d1.end(true);
  });

  it('refuses wildcard and $SYS subscriptions of a device with SUBACK 0x80', async () => {
    const d1 = await connectClient(port, { clientId: 'd1', username: 'd1', password: devices.d1 });
    const granted = await grantedQos(d1, ['#', '$SYS/#', topic('d2', 'desired'), topic('d1', 'desired')], 1);
    expect(granted).toEqual([128, 128, 128, 1]);
    await d1.endAsync(true);
  });

  it('serves MQTT over WebSocket on /mqtt with the same auth', async () => {
    const http: Server = createServer((_req, res) => res.end('ok'));
    broker.attachWebSocket(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    const wsPort = typeof address === 'object' && address ? address.port : 0;
    const { connectAsync } = await import('mqtt');
    const app = await connectAsync(`ws://127.0.0.1:${wsPort}/mqtt`, {
      clientId: 'app:web:browser-1',
      username: 'app:web',
      password: 'pk-web',
      reconnectPeriod: 0,
    });
    const granted = await grantedQos(
      app,
      [`ef/v1/${fleet}/app/web/desired`, `ef/v1/${fleet}/app/shop/desired`],
      0,
    );
    expect(granted).toEqual([0, 128]);
    await app.endAsync(true);
    await expect(
      connectAsync(`ws://127.0.0.1:${wsPort}/mqtt`, {
        username: 'app:web',
        password: 'x',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});

describe('embedded broker with a foreign client (mosquitto_pub / mosquitto_sub)', () => {
  const mosq = async (bin: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(bin, ['-h', '127.0.0.1', '-p', String(port), ...args], {
        timeout: 5_000,
      });
      return { code: 0, out: stdout + stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  it('denies a publish without or with wrong credentials', async () => {
    await expectNothingOn(topic('d1', 'telemetry'), async () => {
      const anon = await mosq('mosquitto_pub', ['-t', topic('d1', 'telemetry'), '-m', 'x', '-q', '1']);
      expect(anon.code).not.toBe(0);
      expect(anon.out).toMatch(/not authori[sz]ed|bad user name or password/i);
      const wrong = await mosq('mosquitto_pub', [
        '-i',
        'd1',
        '-u',
        'd1',
        '-P',
        'wrong',
        '-t',
        topic('d1', 'telemetry'),
      ]);
      expect(wrong.code).not.toBe(0);
    });
  });

  it("denies a device's credentials on another device's topic", async () => {
    const before = broker.stats.publishesDenied;
    await expectNothingOn(topic('d2', 'telemetry'), async () => {
      const out = await mosq('mosquitto_pub', [
        ...['-i', 'd1', '-u', 'd1', '-P', devices.d1!, '-t', topic('d2', 'telemetry'), '-m', '{}', '-q', '1'],
      ]);
      expect(out.code).not.toBe(0);
    });
    expect(broker.stats.publishesDenied).toBeGreaterThan(before);
    const sub = await mosq('mosquitto_sub', [
      ...['-i', 'd1', '-u', 'd1', '-P', devices.d1!, '-t', topic('d2', 'desired'), '-W', '2'],
    ]);
    expect(sub.out).toMatch(/denied/i);
  });

  it('denies $SYS/# even with valid device credentials', async () => {
    const sub = await mosq('mosquitto_sub', [
      '-i',
      'd1',
      '-u',
      'd1',
      '-P',
      devices.d1!,
      '-t',
      '$SYS/#',
      '-W',
      '2',
    ]);
    expect(sub.out).toMatch(/denied/i);
    const anon = await mosq('mosquitto_sub', ['-t', '$SYS/#', '-W', '2']);
    expect(anon.code).not.toBe(0);
  });
});

describe('embedded broker robustness', () => {
  it('survives 48 clients dropping at once with 25 QoS 1 messages in flight each', async () => {
    const ids = Object.keys(devices).filter((id) => id.startsWith('s'));
    const clients = await Promise.all(
      ids.map((id, i) =>
        connectClient(port, { clientId: id, username: id, password: devices[id], clean: i % 2 === 0 }),
      ),
    );
    await Promise.all(clients.map((c, i) => c.subscribeAsync(topic(ids[i]!, 'ack'), { qos: 1 })));
    // Stop reading: every delivery from here stays unacknowledged (in flight) on the broker side.
    for (const c of clients) c.stream.pause();
    const payload = Buffer.alloc(2_048, 'x');
    await Promise.all(
      ids.flatMap((id) =>
        Array.from(
          { length: 25 },
          () =>
            new Promise<void>((resolve) =>
              broker.aedes.publish(
                { cmd: 'publish', topic: topic(id, 'ack'), payload, qos: 1, retain: false, dup: false },
                () => resolve(),
              ),
            ),
        ),
      ),
    );
    // And every client has QoS 1 publishes of its own in flight towards the broker.
    for (const [i, c] of clients.entries()) {
      for (let n = 0; n < 25; n++) c.publish(topic(ids[i]!, 'telemetry'), payload, { qos: 1 });
    }
    await sleep(50);
    for (const c of clients) (c.stream as Socket).destroy();
    await sleep(300);
    // Persistent sessions come back and drain their stored messages, then drop again mid-way.
    const again = await Promise.all(
      ids
        .filter((_, i) => i % 2 === 1)
        .map((id) =>
          connectClient(port, { clientId: id, username: id, password: devices[id], clean: false }),
        ),
    );
    await sleep(20);
    for (const c of again) (c.stream as Socket).destroy();
    await sleep(300);
    expect(uncaught).toEqual([]);
    await expectServing('d2');
  });

  it('keeps delivering to others while one subscriber stops reading', async () => {
    const filter = `ef/v1/${fleet}/dev/+/telemetry`;
    const slow = await connectClient(port, { clientId: 'server-slow', username: 'server', password: 'srv' });
    const fast = await connectClient(port, { clientId: 'server-fast', username: 'server', password: 'srv' });
    await slow.subscribeAsync(filter, { qos: 1 });
    await fast.subscribeAsync(filter, { qos: 1 });
    slow.stream.pause();
    const d1 = await connectClient(port, { clientId: 'd1', username: 'd1', password: devices.d1 });
    const count = 600;
    const got = collectMessages(fast, count, 8_000);
    const payload = Buffer.alloc(8_192, 'y');
    const started = Date.now();
    for (let i = 0; i < count; i++) d1.publish(topic('d1', 'telemetry'), payload, { qos: 1 });
    await got;
    // Well under aedes' drain timeout: nobody waited on the stalled socket.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(broker.stats.slowConsumersDropped).toBeGreaterThanOrEqual(1);
    await Promise.all([d1.endAsync(true), fast.endAsync(true), slow.endAsync(true)]);
    await expectServing('d1');
  });

  it('closes a connection that announces an oversized packet', async () => {
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    // CONNECT header announcing a 100 MB remaining length.
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x30]));
    await closed;
    expect(broker.stats.oversizedPackets).toBeGreaterThanOrEqual(1);
    await expectServing('d1');
  });
});
