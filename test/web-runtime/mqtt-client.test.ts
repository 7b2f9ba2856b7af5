// The runtime's own MQTT 3.1.1 client against the REAL embedded aedes broker over its /mqtt WebSocket, and
// against a hostile WebSocket server for what a well-behaved broker never sends. Node, with `ws` as the
// WebSocket (Node 20 has no global one).
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { appTopic } from '@edgefleet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MqttClient,
  type MqttClientOptions,
  type MqttError,
  type WebSocketConstructor,
} from '../../web-runtime/src/mqtt';
import { clsModelBytes, type Fleet, startFleet } from './fleet';

// `ws` is the fleet server's dependency; the runtime itself uses the browser's WebSocket.
const ws = createRequire(new URL('../../fleet-server/package.json', import.meta.url))('ws') as {
  WebSocket: WebSocketConstructor;
  WebSocketServer: new (o: {
    port: number;
    host: string;
  }) => {
    address(): AddressInfo;
    on(event: 'connection', cb: (socket: FakeSocket) => void): void;
    on(event: 'listening', cb: () => void): void;
    clients: Set<FakeSocket>;
    close(cb: () => void): void;
  };
};
interface FakeSocket {
  protocol: string;
  on(event: 'message', cb: (data: Buffer) => void): void;
  send(data: Uint8Array | string): void;
  terminate(): void;
}

let fleet: Fleet;
let desired: string;
const clients: MqttClient[] = [];

beforeAll(async () => {
  fleet = await startFleet();
  const v1 = await fleet.register('1.0.0', clsModelBytes());
  await fleet.publish([{ name: 'cls', current: v1 }]);
  desired = appTopic('default', fleet.appId, 'desired');
});
afterAll(() => fleet?.dispose());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const broker = () => fleet.t.server.parts.mqtt.broker!;
/** aedes' connected clients by id (untyped in aedes' own types). */
const brokerClient = (id: string) =>
  (broker().aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[id];

function client(over: Partial<MqttClientOptions> = {}): MqttClient {
  const c = new MqttClient({
    url: `${fleet.t.url.replace(/^http/, 'ws')}/mqtt`,
    clientId: `app:${fleet.appId}:test-${Math.random().toString(36).slice(2)}`,
    username: `app:${fleet.appId}`,
    password: fleet.key,
    WebSocket: ws.WebSocket,
    reconnect: { initialMs: 50, maxMs: 200 },
    timeoutMs: 2_000,
    ...over,
  });
  clients.push(c);
  return c;
}

const next = <T>(c: MqttClient, name: 'connect' | 'close' | 'error' | 'message', pick = (_e: T) => true) =>
  new Promise<T>((resolve) => {
    const off = c.on(name, (e) => {
      if (!pick(e as T)) return;
      off();
      resolve(e as T);
    });
  });

describe('MqttClient against the embedded aedes broker', () => {
  it('connects with the publishable key, receives the retained plan (QoS 1) and live updates', async () => {
    const c = client();
    const messages: { topic: string; retain: boolean; rev: number }[] = [];
    c.on('message', (m) =>
      messages.push({
        topic: m.topic,
        retain: m.retain,
        rev: JSON.parse(new TextDecoder().decode(m.payload)).rev,
      }),
    );
    const connected = next(c, 'connect');
    c.start();
    await connected;
    expect(await c.subscribe(desired, 1)).toBe(1);
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]).toMatchObject({ topic: desired, retain: true });
    const rev = await fleet.publish([
      { name: 'cls', current: await fleet.register('1.0.1', clsModelBytes(1)) },
    ]);
    await expect.poll(() => messages.at(-1)?.rev).toBe(rev);
    expect(messages).toHaveLength(2);
  });

  it('publishes QoS 1 telemetry and resolves on the PUBACK; QoS 0 too', async () => {
    const c = client();
    c.start();
    await next(c, 'connect');
    const topic = appTopic('default', fleet.appId, 'telemetry');
    await expect(c.publish(topic, '{"reports":[]}', { qos: 1 })).resolves.toBeUndefined();
    await expect(c.publish(topic, '{}', { qos: 0 })).resolves.toBeUndefined();
    await expect(c.publish('a/+', '{}', { qos: 1 })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('turns a wrong key into a typed CONNACK error and keeps retrying with backoff', async () => {
    const c = client({ password: 'efp_wrong' });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.kind));
    c.start();
    await expect.poll(() => errors.filter((k) => k === 'bad_credentials').length).toBeGreaterThanOrEqual(2);
    expect(c.isConnected).toBe(false);
  });

  it('rejects a subscription the broker refuses (SUBACK 0x80) with a typed error', async () => {
    const c = client();
    c.start();
    await next(c, 'connect');
    const other = appTopic('default', 'someone-else', 'desired');
    await expect(c.subscribe(other, 1)).rejects.toMatchObject({ kind: 'subscribe_refused' });
    expect(await c.subscribe(desired, 1)).toBe(1);
  });

  it('reconnects after the broker drops it and resubscribes (the retained plan arrives again)', async () => {
    const c = client({ clientId: `app:${fleet.appId}:drop-me-1` });
    let retained = 0;
    c.on('message', (m) => {
      if (m.retain) retained++;
    });
    c.start();
    await c.subscribe(desired, 1);
    await expect.poll(() => retained).toBe(1);
    const closed = next<{ error?: MqttError }>(c, 'close');
    const reconnected = next(c, 'connect');
    brokerClient(`app:${fleet.appId}:drop-me-1`)?.close();
    expect((await closed).error?.kind).toBe('transport');
    await reconnected;
    await expect.poll(() => retained).toBe(2);
  });

  it('closes cleanly: DISCONNECT, no reconnect, later calls reject with closed', async () => {
    const c = client({ clientId: `app:${fleet.appId}:closer-1` });
    c.start();
    await next(c, 'connect');
    await expect.poll(() => brokerClient(`app:${fleet.appId}:closer-1`) !== undefined).toBe(true);
    await c.close();
    await expect.poll(() => brokerClient(`app:${fleet.appId}:closer-1`)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(brokerClient(`app:${fleet.appId}:closer-1`)).toBeUndefined();
    await expect(c.subscribe(desired)).rejects.toMatchObject({ kind: 'closed' });
    await expect(c.publish(desired, 'x')).rejects.toMatchObject({ kind: 'closed' });
  });
});

describe('MqttClient against a hostile server', () => {
  let server: InstanceType<typeof ws.WebSocketServer>;
  let onConnect: (socket: FakeSocket) => void = () => {};
  const protocols: string[] = [];
  beforeAll(async () => {
    server = new ws.WebSocketServer({ port: 0, host: '127.0.0.1' });
    server.on('connection', (socket) => {
      protocols.push(socket.protocol);
      onConnect(socket);
    });
    await new Promise<void>((resolve) => server.on('listening', resolve));
  });
  afterAll(async () => {
    for (const s of server.clients) s.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const fake = (over: Partial<MqttClientOptions> = {}) =>
    client({ url: `ws://127.0.0.1:${server.address().port}/mqtt`, ...over });
  /** Answers CONNECT with CONNACK 0, then `after` (bytes or a text frame). */
  const connackThen =
    (after?: Uint8Array | string, onPing?: (s: FakeSocket) => void) => (socket: FakeSocket) =>
      socket.on('message', (data) => {
        if (data[0] === 0x10) {
          socket.send(new Uint8Array([0x20, 2, 0, 0]));
          if (after !== undefined) socket.send(after);
        }
        if (data[0] === 0xc0) onPing?.(socket);
      });

  const cases: [string, Uint8Array | string, string][] = [
    ['a 5-byte remaining length', new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 'malformed'],
    ['a packet over the size limit', new Uint8Array([0x30, 0xff, 0xff, 0x03]), 'too_large'],
    ['a QoS 2 PUBLISH', new Uint8Array([0x34, 5, 0, 1, 0x74, 0, 1]), 'malformed'],
    ['a text frame', 'hello', 'malformed'],
  ];
  it.each(cases)('closes the connection on %s with a typed error, never a throw', async (_n, bytes, kind) => {
    onConnect = connackThen(bytes);
    const c = fake({ maxPacketBytes: 4096 });
    const error = next<MqttError>(c, 'error');
    const closed = next(c, 'close');
    c.start();
    expect((await error).kind).toBe(kind);
    await closed;
    expect(c.isConnected).toBe(false);
  });

  it('offers the mqtt subprotocol and refuses a packet before CONNACK', async () => {
    onConnect = (socket) => socket.on('message', () => socket.send(new Uint8Array([0xd0, 0])));
    const c = fake();
    const error = next<MqttError>(c, 'error');
    c.start();
    expect((await error).message).toMatch(/expected CONNACK first/);
    expect(protocols.at(-1)).toBe('mqtt');
  });

  it('answers a QoS 1 PUBLISH with its PUBACK after handing on the message', async () => {
    const acks: string[] = [];
    onConnect = (socket) =>
      socket.on('message', (data) => {
        if (data[0] === 0x10) {
          socket.send(new Uint8Array([0x20, 2, 0, 0]));
          socket.send(new Uint8Array([0x32, 6, 0, 1, 0x74, 0x01, 0x02, 0x41]));
        } else acks.push(Buffer.from(data).toString('hex'));
      });
    const c = fake();
    const message = next<{ payload: Uint8Array; qos: number }>(c, 'message');
    c.start();
    expect(await message).toMatchObject({ payload: new Uint8Array([0x41]), qos: 1 });
    await expect.poll(() => acks).toEqual(['40020102']);
  });

  it('drops a connection whose PINGREQ goes unanswered, then reconnects', async () => {
    let connects = 0;
    onConnect = (socket) => {
      connects++;
      connackThen()(socket);
    };
    const c = fake({ keepAliveS: 1, timeoutMs: 300 });
    const error = next<MqttError>(c, 'error');
    c.start();
    expect((await error).kind).toBe('timeout');
    await expect.poll(() => connects).toBeGreaterThanOrEqual(2);
  });

  it('stays connected while PINGRESP comes back', async () => {
    onConnect = connackThen(undefined, (s) => s.send(new Uint8Array([0xd0, 0])));
    const c = fake({ keepAliveS: 1, timeoutMs: 300 });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.kind));
    c.start();
    await next(c, 'connect');
    await new Promise((r) => setTimeout(r, 2_300));
    expect(errors).toEqual([]);
    expect(c.isConnected).toBe(true);
  });

  it('times out a connection without CONNACK', async () => {
    onConnect = () => {};
    const c = fake({ timeoutMs: 200 });
    const error = next<MqttError>(c, 'error');
    c.start();
    expect((await error).kind).toBe('timeout');
  });
});
