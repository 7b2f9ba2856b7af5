import { Readable } from 'node:stream';
import type { Aedes } from 'aedes';

/** A retained packet as aedes' persistence stores it. */
interface RetainedPacket {
  topic: string;
  payload: Buffer;
}

// aedes-persistence's in-memory store (its default); only what we wrap. Kept narrow so an aedes upgrade that
// renames them fails loudly in tests.
interface MemoryPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  createRetainedStream(pattern: string): Readable;
}

const isExact = (filter: string) => !filter.includes('+') && !filter.includes('#');

/**
 * Serves a SUBSCRIBE to an exact topic (no `+` or `#`) from a topic → packet map instead of aedes' default, which
 * tests every retained message against the filter: every device subscribes to its own `…/desired` and the fleet
 * retains a desired state and a presence per device, so connecting n devices cost O(n²) (10,000 devices: minutes
 * of CPU). Wildcard filters keep aedes' own scan; the map holds the same packets as aedes' store.
 */
export function indexRetainedMessages(aedes: Aedes): void {
  const persistence = (aedes as unknown as { persistence: MemoryPersistence }).persistence;
  const byTopic = new Map<string, RetainedPacket>();
  const store = persistence.storeRetained.bind(persistence);
  const scan = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.storeRetained = (packet) => {
    if (packet.payload.length === 0) byTopic.delete(packet.topic);
    else byTopic.set(packet.topic, { ...packet });
    return store(packet);
  };
  persistence.createRetainedStreamCombi = (patterns) => {
    const wildcards = patterns.filter((p) => !isExact(p));
    const exact: RetainedPacket[] = [];
    for (const p of new Set(patterns.filter(isExact))) {
      const packet = byTopic.get(p);
      if (packet) exact.push(packet);
    }
    if (wildcards.length === 0) return Readable.from(exact);
    if (exact.length === 0) return scan(wildcards);
    return Readable.from(concat(exact, scan(wildcards)));
  };
  persistence.createRetainedStream = (pattern) => persistence.createRetainedStreamCombi([pattern]);
}

async function* concat(first: RetainedPacket[], rest: Readable): AsyncGenerator<RetainedPacket> {
  yield* first;
  yield* rest;
}
