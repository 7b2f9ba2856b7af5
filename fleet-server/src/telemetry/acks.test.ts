import { type Ack, ackSchema, MAX_ACK_BYTES, MAX_ACK_SEQS, serializeMessage } from '@edgefleet/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coalesceAcks } from './acks';

const ack = (clientId: string, epoch: number, seq: number, seqs?: number[]): Ack => ({
  v: 1,
  clientId,
  epoch,
  seq,
  ...(seqs ? { seqs } : {}),
});

describe('coalesceAcks', () => {
  it('merges per client and epoch: highest seq, union of the exact seqs, sorted', () => {
    expect(
      coalesceAcks([ack('d', 1, 7, [7]), ack('d', 1, 9, [3]), ack('d', 2, 1, [1]), ack('d', 1, 9, [7])]),
    ).toEqual([ack('d', 1, 9, [3, 7]), ack('d', 2, 1, [1])]);
    expect(coalesceAcks([])).toEqual([]);
    // Only acks without seqs (nothing exact to name): one ack with the highest seq.
    expect(coalesceAcks([ack('d', 1, 4), ack('d', 1, 2)])).toEqual([ack('d', 1, 4)]);
  });

  it('splits long lists into valid acks that fit the size limit and name every seq once (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 2 ** 40 }), { minLength: 1, maxLength: 300 }), (seqs) => {
        const highest = Math.max(...seqs);
        const out = coalesceAcks(seqs.map((s) => ack(`c${'x'.repeat(127)}`, 2 ** 40, highest, [s])));
        expect(out).toHaveLength(Math.ceil(seqs.length / MAX_ACK_SEQS));
        for (const a of out) {
          expect(a.seq).toBe(highest);
          expect(serializeMessage(ackSchema, a, { maxBytes: MAX_ACK_BYTES }).ok).toBe(true);
        }
        expect(out.flatMap((a) => a.seqs ?? [])).toEqual([...seqs].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });
});
