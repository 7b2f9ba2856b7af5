import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_ACK_BYTES } from './limits';
import { parseMessage, serializeMessage } from './parse';
import { ackSchema, MAX_ACK_SEQS } from './telemetry';

const parseAck = (payload: string) => parseMessage(ackSchema, payload, { maxBytes: MAX_ACK_BYTES });

describe('ack with exact seqs', () => {
  it('fits MAX_ACK_SEQS of the largest counters under the longest id in MAX_ACK_BYTES', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const ack = {
      v: 1 as const,
      clientId: `a${'b'.repeat(127)}`,
      epoch: big,
      seq: big,
      seqs: Array.from({ length: MAX_ACK_SEQS }, (_, i) => big - i),
    };
    const text = serializeMessage(ackSchema, ack, { maxBytes: MAX_ACK_BYTES });
    expect(text.ok).toBe(true);
    expect(text.ok && parseAck(text.value)).toEqual({ ok: true, value: ack });
  });

  it('refuses an empty list, one too many seqs, and a seq above the highest stored', () => {
    const base = { v: 1, clientId: 'd', epoch: 1, seq: 50 };
    expect(parseAck(JSON.stringify({ ...base, seqs: [] }))).toMatchObject({
      ok: false,
      error: { path: 'seqs' },
    });
    const tooMany = Array.from({ length: MAX_ACK_SEQS + 1 }, (_, i) => i + 1);
    expect(parseAck(JSON.stringify({ ...base, seqs: tooMany }))).toMatchObject({
      ok: false,
      error: { path: 'seqs' },
    });
    expect(parseAck(JSON.stringify({ ...base, seqs: [3, 51] }))).toMatchObject({
      ok: false,
      error: { path: 'seqs' },
    });
    expect(parseAck(JSON.stringify({ ...base, seqs: [3, '4'] }))).toMatchObject({
      ok: false,
      error: { path: 'seqs.1' },
    });
    expect(parseAck(JSON.stringify({ ...base, seqs: { 0: 1 } }))).toMatchObject({
      ok: false,
      error: { path: 'seqs' },
    });
  });

  it('still reads an ack without seqs (an older server)', () => {
    expect(parseAck('{"v":1,"clientId":"d","epoch":2,"seq":7}')).toEqual({
      ok: true,
      value: { v: 1, clientId: 'd', epoch: 2, seq: 7 },
    });
  });

  it('is read by the protocol-1 ack schema of older agents, which ignore seqs (property)', () => {
    const olderAckSchema = z.object({
      v: z.literal(1),
      clientId: z.string(),
      epoch: z.int().min(0),
      seq: z.int().min(0),
    });
    fc.assert(
      fc.property(
        fc.nat({ max: 1e12 }),
        fc.uniqueArray(fc.nat({ max: 1e12 }), { minLength: 1, maxLength: MAX_ACK_SEQS }),
        (epoch, seqs) => {
          const ack = { v: 1 as const, clientId: 'station-1', epoch, seq: Math.max(...seqs), seqs };
          const text = serializeMessage(ackSchema, ack, { maxBytes: MAX_ACK_BYTES });
          expect(text.ok).toBe(true);
          if (!text.ok) return;
          expect(parseAck(text.value)).toEqual({ ok: true, value: ack });
          expect(parseMessage(olderAckSchema, text.value, { maxBytes: 1024 })).toEqual({
            ok: true,
            value: { v: 1, clientId: 'station-1', epoch, seq: ack.seq },
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
