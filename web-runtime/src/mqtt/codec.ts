// MQTT 3.1.1 packets the runtime sends and receives (no QoS 2, no wills): a strict encoder and a streaming
// decoder that never throws. Spec: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html
import { MqttError } from './errors';

/** Packet types (the high nibble of the first byte). */
export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

/** Largest remaining length a 4-byte varint holds (MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** A packet the client can receive from a broker. */
export type InboundPacket =
  | { type: 'connack'; sessionPresent: boolean; returnCode: number }
  | {
      type: 'publish';
      topic: string;
      payload: Uint8Array;
      qos: 0 | 1;
      retain: boolean;
      dup: boolean;
      id?: number;
    }
  | { type: 'puback'; id: number }
  | { type: 'suback'; id: number; granted: number[] }
  | { type: 'unsuback'; id: number }
  | { type: 'pingresp' };

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Remaining-length varint: 1 to 4 bytes. */
export function encodeRemainingLength(length: number): number[] {
  if (!Number.isInteger(length) || length < 0 || length > MAX_REMAINING_LENGTH)
    throw new MqttError('too_large', `remaining length must be 0…${MAX_REMAINING_LENGTH}, got ${length}`);
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

function utf8Field(value: string, what: string): Uint8Array {
  const bytes = encoder.encode(value);
  if (bytes.length > 0xffff)
    throw new MqttError('invalid', `${what} is ${bytes.length} bytes, at most 65535`);
  const out = new Uint8Array(2 + bytes.length);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

const u16 = (n: number): Uint8Array => new Uint8Array([n >> 8, n & 0xff]);

function packet(first: number, parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const header = [first, ...encodeRemainingLength(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let at = header.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffff)
    throw new MqttError('invalid', `packet id must be 1…65535, got ${id}`);
}

/** CONNECT (protocol level 4) with a clean session and no will. Throws MqttError('invalid') on bad fields. */
export function encodeConnect(o: {
  clientId: string;
  username?: string;
  password?: string;
  keepAliveS: number;
  clean?: boolean;
}): Uint8Array {
  if (!Number.isInteger(o.keepAliveS) || o.keepAliveS < 0 || o.keepAliveS > 0xffff)
    throw new MqttError('invalid', `keep-alive must be 0…65535 s, got ${o.keepAliveS}`);
  if (o.password !== undefined && o.username === undefined)
    throw new MqttError('invalid', 'a password needs a username in MQTT 3.1.1');
  const flags =
    (o.username !== undefined ? 0x80 : 0) |
    (o.password !== undefined ? 0x40 : 0) |
    (o.clean !== false ? 0x02 : 0);
  const parts = [utf8Field('MQTT', 'protocol name'), new Uint8Array([4, flags]), u16(o.keepAliveS)];
  parts.push(utf8Field(o.clientId, 'client id'));
  if (o.username !== undefined) parts.push(utf8Field(o.username, 'username'));
  if (o.password !== undefined) parts.push(utf8Field(o.password, 'password'));
  return packet(PacketType.connect << 4, parts);
}

function checkTopic(topic: string, filter: boolean): void {
  if (topic.length === 0 || topic.includes('\u0000'))
    throw new MqttError('invalid', 'topic must be non-empty, no NUL');
  if (!filter && /[+#]/.test(topic)) throw new MqttError('invalid', `wildcards in a publish topic: ${topic}`);
}

/** SUBSCRIBE with one or more topic filters. */
export function encodeSubscribe(id: number, filters: { topic: string; qos: 0 | 1 }[]): Uint8Array {
  checkId(id);
  if (filters.length === 0) throw new MqttError('invalid', 'subscribe needs at least one topic filter');
  const parts = [u16(id)];
  for (const f of filters) {
    checkTopic(f.topic, true);
    parts.push(utf8Field(f.topic, 'topic filter'), new Uint8Array([f.qos]));
  }
  return packet((PacketType.subscribe << 4) | 0b0010, parts);
}

/** PUBLISH at QoS 0 (no id) or 1 (with `id`). */
export function encodePublish(o: {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain?: boolean;
  dup?: boolean;
  id?: number;
}): Uint8Array {
  checkTopic(o.topic, false);
  const parts = [utf8Field(o.topic, 'topic')];
  if (o.qos === 1) {
    checkId(o.id ?? 0);
    parts.push(u16(o.id!));
  }
  parts.push(o.payload);
  const flags = (o.dup && o.qos === 1 ? 0x08 : 0) | (o.qos << 1) | (o.retain ? 0x01 : 0);
  return packet((PacketType.publish << 4) | flags, parts);
}

export const encodePuback = (id: number): Uint8Array => {
  checkId(id);
  return packet(PacketType.puback << 4, [u16(id)]);
};
export const encodePingreq = (): Uint8Array => new Uint8Array([PacketType.pingreq << 4, 0]);
export const encodeDisconnect = (): Uint8Array => new Uint8Array([PacketType.disconnect << 4, 0]);

/** What one {@link PacketDecoder.push} produced: whole packets, then at most one error (the stream is dead). */
export interface DecodeResult {
  packets: InboundPacket[];
  error?: MqttError;
}

/**
 * Streaming decoder for bytes from a broker: packets may span WebSocket frames and frames may hold several.
 * Strict: the remaining-length varint has at most 4 bytes, a packet is at most `maxPacketBytes`, reserved
 * flags must be as the spec fixes them, lengths inside must add up, topics are valid UTF-8 without
 * wildcards. After an error the decoder refuses everything (the caller closes the connection).
 */
export class PacketDecoder {
  private buffer: Uint8Array = new Uint8Array(0);
  private failed: MqttError | undefined;

  constructor(readonly maxPacketBytes: number) {}

  push(chunk: Uint8Array): DecodeResult {
    if (this.failed) return { packets: [], error: this.failed };
    this.buffer = this.buffer.length === 0 ? chunk.slice() : concat(this.buffer, chunk);
    const packets: InboundPacket[] = [];
    let at = 0;
    for (;;) {
      const header = readHeader(this.buffer, at, this.maxPacketBytes);
      if (header === undefined) break;
      if (header instanceof MqttError) return this.fail(packets, header);
      const end = header.bodyAt + header.length;
      if (end > this.buffer.length) break;
      const parsed = decodeBody(header.first, this.buffer.subarray(header.bodyAt, end));
      if (parsed instanceof MqttError) return this.fail(packets, parsed);
      packets.push(parsed);
      at = end;
    }
    this.buffer = this.buffer.slice(at);
    return { packets };
  }

  private fail(packets: InboundPacket[], error: MqttError): DecodeResult {
    this.failed = error;
    this.buffer = new Uint8Array(0);
    return { packets, error };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The fixed header at `at`, undefined when incomplete, or the error. */
function readHeader(
  buf: Uint8Array,
  at: number,
  maxPacketBytes: number,
): { first: number; length: number; bodyAt: number } | MqttError | undefined {
  if (at >= buf.length) return undefined;
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (at + i >= buf.length) return undefined;
    const byte = buf[at + i]!;
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      if (i > 1 && byte === 0) return new MqttError('malformed', 'remaining length is not minimally encoded');
      if (1 + i + length > maxPacketBytes)
        return new MqttError('too_large', `packet of ${1 + i + length} bytes, at most ${maxPacketBytes}`);
      return { first: buf[at]!, length, bodyAt: at + 1 + i };
    }
    multiplier *= 128;
  }
  return new MqttError('malformed', 'remaining length longer than 4 bytes');
}

const malformed = (what: string): MqttError => new MqttError('malformed', what);

function decodeBody(first: number, body: Uint8Array): InboundPacket | MqttError {
  const type = first >> 4;
  const flags = first & 0x0f;
  const id = (): number => (body[0]! << 8) | body[1]!;
  switch (type) {
    case PacketType.connack:
      if (flags !== 0 || body.length !== 2) return malformed('CONNACK: expected flags 0 and 2 bytes');
      if ((body[0]! & 0xfe) !== 0) return malformed('CONNACK: reserved acknowledge flags set');
      return { type: 'connack', sessionPresent: (body[0]! & 1) === 1, returnCode: body[1]! };
    case PacketType.publish:
      return decodePublish(flags, body);
    case PacketType.puback:
    case PacketType.unsuback:
      if (flags !== 0 || body.length !== 2)
        return malformed(`packet type ${type}: expected flags 0 and 2 bytes`);
      if (id() === 0) return malformed('packet id 0');
      return type === PacketType.puback ? { type: 'puback', id: id() } : { type: 'unsuback', id: id() };
    case PacketType.suback: {
      if (flags !== 0 || body.length < 3) return malformed('SUBACK: expected flags 0 and at least 3 bytes');
      const granted = [...body.subarray(2)];
      if (granted.some((g) => g > 2 && g !== 0x80))
        return malformed('SUBACK: return code not 0, 1, 2 or 0x80');
      return { type: 'suback', id: id(), granted };
    }
    case PacketType.pingresp:
      if (flags !== 0 || body.length !== 0) return malformed('PINGRESP: expected flags 0 and no body');
      return { type: 'pingresp' };
    default:
      // QoS 2 flows, and packets only a client sends, are protocol violations from a broker to this client.
      return malformed(`unexpected packet type ${type} from the broker`);
  }
}

function decodePublish(flags: number, body: Uint8Array): InboundPacket | MqttError {
  const qos = (flags >> 1) & 0b11;
  if (qos === 3) return malformed('PUBLISH: QoS 3');
  if (qos === 2) return malformed('PUBLISH: QoS 2 was never requested');
  const dup = (flags & 0x08) !== 0;
  if (qos === 0 && dup) return malformed('PUBLISH: DUP set on QoS 0');
  if (body.length < 2) return malformed('PUBLISH: truncated topic length');
  const topicLength = (body[0]! << 8) | body[1]!;
  let at = 2 + topicLength;
  if (topicLength === 0 || at > body.length) return malformed('PUBLISH: topic length past the packet');
  let topic: string;
  try {
    topic = strictUtf8.decode(body.subarray(2, at));
  } catch {
    return malformed('PUBLISH: topic is not UTF-8');
  }
  if (/[+#]/.test(topic) || topic.includes('\u0000')) return malformed('PUBLISH: wildcard or NUL in topic');
  let id: number | undefined;
  if (qos === 1) {
    if (at + 2 > body.length) return malformed('PUBLISH: truncated packet id');
    id = (body[at]! << 8) | body[at + 1]!;
    if (id === 0) return malformed('PUBLISH: packet id 0');
    at += 2;
  }
  return {
    type: 'publish',
    topic,
    payload: body.slice(at),
    qos: qos as 0 | 1,
    retain: (flags & 1) === 1,
    dup,
    ...(id !== undefined ? { id } : {}),
  };
}
