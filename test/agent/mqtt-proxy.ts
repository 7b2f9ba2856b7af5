// A TCP proxy in front of a real MQTT broker that can lose a QoS 1 PUBLISH the way a broker or a
// network path loses one after its PUBACK: the client gets the PUBACK, the broker never sees the message.
import { createConnection, createServer, type Socket } from 'node:net';

/** A PUBLISH from the client, as the proxy sees it. */
export interface SeenPublish {
  topic: string;
  qos: number;
  payload: Buffer;
}

/** Options of {@link startMqttProxy}. */
export interface MqttProxyOptions {
  upstreamPort: number;
  upstreamHost?: string;
  /** Whether to swallow this PUBLISH (QoS 1 only): acked to the client, never forwarded. */
  swallow?: (publish: SeenPublish) => boolean;
}

/** A running proxy. */
export interface MqttProxy {
  port: number;
  url: string;
  /** PUBLISH packets swallowed so far. */
  swallowed: SeenPublish[];
  /** Drops every open connection (both sides), as a network failure would. */
  dropConnections(): void;
  close(): Promise<void>;
}

const PUBLISH = 3;

/** Splits a byte stream into whole MQTT packets; `onPacket` gets each with its type and header size. */
function framer(onPacket: (packet: Buffer, type: number, headerBytes: number) => void) {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      let remaining = 0;
      let multiplier = 1;
      let at = 1;
      for (;;) {
        if (at >= buffered.length) return;
        const byte = buffered[at++]!;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) break;
        if (at > 4) throw new Error('malformed MQTT remaining length');
      }
      if (buffered.length < at + remaining) return;
      const packet = buffered.subarray(0, at + remaining);
      buffered = buffered.subarray(at + remaining);
      onPacket(packet, packet[0]! >> 4, at);
    }
  };
}

function parsePublish(packet: Buffer, headerBytes: number): SeenPublish & { packetId: number | null } {
  const qos = (packet[0]! >> 1) & 3;
  const topicLength = packet.readUInt16BE(headerBytes);
  const topic = packet.toString('utf8', headerBytes + 2, headerBytes + 2 + topicLength);
  let at = headerBytes + 2 + topicLength;
  const packetId = qos > 0 ? packet.readUInt16BE(at) : null;
  if (qos > 0) at += 2;
  return { topic, qos, packetId, payload: packet.subarray(at) };
}

/** Starts a proxy on 127.0.0.1, port 0. Every packet is passed on whole, so an injected PUBACK never splits one. */
export async function startMqttProxy(options: MqttProxyOptions): Promise<MqttProxy> {
  const sockets = new Set<Socket>();
  const swallowed: SeenPublish[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({
      port: options.upstreamPort,
      host: options.upstreamHost ?? '127.0.0.1',
    });
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', closeBoth);
      s.on('close', closeBoth);
    }
    const guarded = (onChunk: (chunk: Buffer) => void) => (chunk: Buffer) => {
      try {
        onChunk(chunk);
      } catch {
        closeBoth(); // not MQTT: drop the connection, as a broker would
      }
    };
    upstream.on('data', guarded(framer((packet) => client.write(packet))));
    client.on(
      'data',
      guarded(
        framer((packet, type, headerBytes) => {
          if (type === PUBLISH) {
            const publish = parsePublish(packet, headerBytes);
            if (publish.qos === 1 && publish.packetId !== null && options.swallow?.(publish)) {
              swallowed.push(publish);
              client.write(Buffer.from([0x40, 0x02, publish.packetId >> 8, publish.packetId & 0xff]));
              return;
            }
          }
          upstream.write(packet);
        }),
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    swallowed,
    dropConnections() {
      for (const s of [...sockets]) s.destroy();
      sockets.clear();
    },
    async close() {
      for (const s of [...sockets]) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
