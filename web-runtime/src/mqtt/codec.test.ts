import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeConnect,
  encodePuback,
  encodePublish,
  encodeRemainingLength,
  encodeSubscribe,
  MAX_REMAINING_LENGTH,
  PacketDecoder,
} from './codec';
import { MqttError } from './errors';

const bytes = (...b: number[]) => new Uint8Array(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const decodeAll = (input: Uint8Array, max = 1024) => new PacketDecoder(max).push(input);

describe('encoder', () => {
  it('writes CONNECT as MQTT 3.1.1 with clean session, credentials and keep-alive', () => {
    const frame = encodeConnect({ clientId: 'c1', username: 'u', password: 'p', keepAliveS: 30 });
    // 0x10, len 20, "MQTT", level 4, flags 0xc2, keep-alive 30, "c1", "u", "p"
    expect(hex(frame)).toBe(
      '1014' + '00044d515454' + '04' + 'c2' + '001e' + '00026331' + '000175' + '000170',
    );
    expect(encodeConnect({ clientId: '', keepAliveS: 0 })[9]).toBe(0x02);
  });

  it('refuses fields MQTT cannot carry', () => {
    expect(() => encodeConnect({ clientId: 'x'.repeat(70_000), keepAliveS: 1 })).toThrow(MqttError);
    expect(() => encodeConnect({ clientId: 'x', password: 'p', keepAliveS: 1 })).toThrow(/needs a username/);
    expect(() => encodeConnect({ clientId: 'x', keepAliveS: 70_000 })).toThrow(/keep-alive/);
    expect(() => encodePublish({ topic: 'a/+', payload: bytes(), qos: 0 })).toThrow(/wildcards/);
    expect(() => encodePublish({ topic: 'a', payload: bytes(), qos: 1 })).toThrow(/packet id/);
    expect(() => encodeSubscribe(0, [{ topic: 'a', qos: 1 }])).toThrow(/packet id/);
    expect(() => encodeSubscribe(1, [])).toThrow(/at least one/);
    expect(() => encodePuback(65_536)).toThrow(/packet id/);
  });

  it('encodes remaining lengths in 1 to 4 bytes and no more', () => {
    expect(encodeRemainingLength(0)).toEqual([0]);
    expect(encodeRemainingLength(127)).toEqual([0x7f]);
    expect(encodeRemainingLength(128)).toEqual([0x80, 0x01]);
    expect(encodeRemainingLength(16_383)).toEqual([0xff, 0x7f]);
    expect(encodeRemainingLength(MAX_REMAINING_LENGTH)).toEqual([0xff, 0xff, 0xff, 0x7f]);
    expect(() => encodeRemainingLength(MAX_REMAINING_LENGTH + 1)).toThrow(MqttError);
  });

  it('writes SUBSCRIBE with the reserved flags 0b0010 and PUBLISH QoS 1 with its id', () => {
    expect(hex(encodeSubscribe(7, [{ topic: 'a/b', qos: 1 }]))).toBe('8208' + '0007' + '0003612f62' + '01');
    expect(hex(encodePublish({ topic: 't', payload: bytes(9), qos: 1, id: 258, retain: true }))).toBe(
      '3306' + '000174' + '0102' + '09',
    );
  });
});

describe('PacketDecoder', () => {
  it('decodes what a broker sends: CONNACK, retained PUBLISH QoS 0/1, PUBACK, SUBACK incl. 0x80, PINGRESP', () => {
    const publish1 = bytes(0x33, 7, 0, 1, 0x74, 0, 5, 0x68, 0x69);
    const { packets, error } = decodeAll(
      new Uint8Array([
        ...[0x20, 2, 1, 0],
        ...[0x31, 4, 0, 1, 0x74, 0x41],
        ...publish1,
        ...[0x40, 2, 0, 9],
        ...[0x90, 4, 0, 3, 1, 0x80],
        ...[0xd0, 0],
      ]),
    );
    expect(error).toBeUndefined();
    expect(packets).toEqual([
      { type: 'connack', sessionPresent: true, returnCode: 0 },
      { type: 'publish', topic: 't', payload: bytes(0x41), qos: 0, retain: true, dup: false },
      { type: 'publish', topic: 't', payload: bytes(0x68, 0x69), qos: 1, retain: true, dup: false, id: 5 },
      { type: 'puback', id: 9 },
      { type: 'suback', id: 3, granted: [1, 0x80] },
      { type: 'pingresp' },
    ]);
  });

  it('reassembles packets split across frames, one byte at a time', () => {
    const frame = encodePublish({ topic: 'ef/v1/x', payload: new Uint8Array(300).fill(7), qos: 0 });
    // A broker's PUBLISH has the same layout as ours.
    const decoder = new PacketDecoder(1024);
    const got = [];
    for (const b of frame) {
      const r = decoder.push(bytes(b));
      expect(r.error).toBeUndefined();
      got.push(...r.packets);
    }
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'publish', topic: 'ef/v1/x', qos: 0 });
    expect((got[0] as { payload: Uint8Array }).payload).toHaveLength(300);
  });

  it('waits on truncated packets without inventing or throwing', () => {
    const decoder = new PacketDecoder(1024);
    expect(decoder.push(bytes(0x30))).toEqual({ packets: [] });
    expect(decoder.push(bytes(0x85))).toEqual({ packets: [] });
    expect(decoder.push(bytes(0x01, 0, 1))).toEqual({ packets: [] });
  });

  const hostile: [string, number[], string, number?][] = [
    ['a 5-byte remaining length', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 'malformed'],
    ['a non-minimal remaining length', [0xd0, 0x80, 0x00], 'malformed'],
    ['a packet over the size limit, refused before its body arrives', [0x30, 0xff, 0x7f], 'too_large', 1024],
    ['a packet just over the limit', [0x30, 0x0e, 0, 1, 0x74], 'too_large', 15],
    ['CONNACK with flags', [0x21, 2, 0, 0], 'malformed'],
    ['CONNACK of 3 bytes', [0x20, 3, 0, 0, 0], 'malformed'],
    ['CONNACK with reserved ack flags', [0x20, 2, 2, 0], 'malformed'],
    ['PUBACK with flags', [0x42, 2, 0, 1], 'malformed'],
    ['PUBACK with id 0', [0x40, 2, 0, 0], 'malformed'],
    ['PINGRESP with a body', [0xd0, 1, 0], 'malformed'],
    ['PUBLISH QoS 3', [0x36, 5, 0, 1, 0x74, 0, 1], 'malformed'],
    ['PUBLISH QoS 2', [0x34, 5, 0, 1, 0x74, 0, 1], 'malformed'],
    ['PUBLISH QoS 0 with DUP', [0x38, 3, 0, 1, 0x74], 'malformed'],
    ['PUBLISH topic length past the packet', [0x30, 3, 0, 9, 0x74], 'malformed'],
    ['PUBLISH with an empty topic', [0x30, 2, 0, 0], 'malformed'],
    ['PUBLISH QoS 1 without packet id', [0x32, 3, 0, 1, 0x74], 'malformed'],
    ['PUBLISH topic not UTF-8', [0x30, 4, 0, 2, 0xc3, 0x28], 'malformed'],
    ['PUBLISH topic with a wildcard', [0x30, 3, 0, 1, 0x23], 'malformed'],
    ['SUBACK with return code 3', [0x90, 3, 0, 1, 3], 'malformed'],
    ['SUBACK without return codes', [0x90, 2, 0, 1], 'malformed'],
    ['CONNECT from the broker', [0x10, 0], 'malformed'],
    ['PUBREL (QoS 2 flow)', [0x62, 2, 0, 1], 'malformed'],
    ['reserved type 0', [0x00, 0], 'malformed'],
    ['reserved type 15', [0xf0, 0], 'malformed'],
  ];
  it.each(hostile)('refuses %s', (_name, input, kind, max = 1024) => {
    const decoder = new PacketDecoder(max);
    const { packets, error } = decoder.push(new Uint8Array(input));
    expect(packets).toEqual([]);
    expect(error).toBeInstanceOf(MqttError);
    expect(error?.kind).toBe(kind);
    // The stream is dead: even a valid packet afterwards is refused.
    expect(decoder.push(bytes(0xd0, 0)).error?.kind).toBe(kind);
  });

  it('hands on the packets before a bad one, then the error', () => {
    const { packets, error } = decodeAll(bytes(0xd0, 0, 0x40, 2, 0, 1, 0xf0, 0, 0xd0, 0));
    expect(packets).toEqual([{ type: 'pingresp' }, { type: 'puback', id: 1 }]);
    expect(error?.kind).toBe('malformed');
  });

  it('never throws on arbitrary bytes in arbitrary chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
        fc.nat({ max: 200 }),
        (chunks, max) => {
          const decoder = new PacketDecoder(max + 2);
          for (const chunk of chunks) {
            const r = decoder.push(chunk);
            for (const p of r.packets) expect(typeof p.type).toBe('string');
            if (r.error) expect(r.error).toBeInstanceOf(MqttError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
