import { type Ack, MAX_ACK_SEQS, PROTOCOL_VERSION } from '@edgefleet/shared';

/**
 * Folds acks into as few as the protocol allows: per (clientId, epoch) the highest `seq` and the union of
 * the exact `seqs`, sorted and split into acks of at most {@link MAX_ACK_SEQS} (each carrying the same
 * highest `seq`, which is all an older client reads).
 */
export function coalesceAcks(acks: Iterable<Ack>): Ack[] {
  const groups = new Map<string, { clientId: string; epoch: number; seq: number; seqs: Set<number> }>();
  for (const ack of acks) {
    const key = `${ack.clientId}\u0000${ack.epoch}`;
    let group = groups.get(key);
    if (!group) {
      group = { clientId: ack.clientId, epoch: ack.epoch, seq: ack.seq, seqs: new Set() };
      groups.set(key, group);
    }
    group.seq = Math.max(group.seq, ack.seq);
    for (const s of ack.seqs ?? []) group.seqs.add(s);
  }
  const out: Ack[] = [];
  for (const { clientId, epoch, seq, seqs } of groups.values()) {
    const head = { v: PROTOCOL_VERSION, clientId, epoch, seq } as const;
    const sorted = [...seqs].sort((a, b) => a - b);
    if (sorted.length === 0) out.push(head);
    for (let i = 0; i < sorted.length; i += MAX_ACK_SEQS) {
      out.push({ ...head, seqs: sorted.slice(i, i + MAX_ACK_SEQS) });
    }
  }
  return out;
}
