import type { DesiredStateInput } from '@edgefleet/shared';
import type { Logger } from 'pino';
import { InvalidInput, NotFound } from '../errors';
import { DesiredTemplate } from './desired-template';
import type { DeviceStateStore } from './store';

/** One device's next desired state in {@link publishDesiredInChunks}. */
export interface DesiredPublish {
  deviceId: string;
  input: DesiredStateInput;
}

/** What became of one {@link DesiredPublish}: its stored and published rev, or why not. */
export type DesiredPublishResult =
  | { deviceId: string; ok: true; rev: number; issuedAt: number }
  | { deviceId: string; ok: false; error: unknown };

/** What {@link publishDesiredInChunks} stores and publishes with. */
export interface DesiredFanoutDeps {
  store: DeviceStateStore;
  now: () => number;
  log: Logger;
  /** Devices per transaction and per burst of publishes. */
  chunkSize: number;
  /** Publishes one stored state (retained, QoS 1). */
  send(deviceId: string, payload: Buffer): Promise<void>;
}

interface Staged {
  index: number;
  deviceId: string;
  rev: number;
  payload: Buffer;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Stores and publishes many desired states: each chunk of `chunkSize` entries is one transaction (rev + 1 per
 * entry; the same device twice gets two revs), its publishes are issued right after the commit, and the event
 * loop gets a turn between chunks so acknowledgements are read meanwhile. Each distinct input object is
 * validated once ({@link DesiredTemplate}). An unknown device or invalid state fails only its own entry; a
 * chunk whose transaction fails stores and publishes none of its entries, which fail with that error. Resolves
 * once every publish settled, with one result per entry, in order.
 */
export async function publishDesiredInChunks(
  items: readonly DesiredPublish[],
  deps: DesiredFanoutDeps,
): Promise<DesiredPublishResult[]> {
  const chunkSize = Math.max(1, deps.chunkSize);
  const results: DesiredPublishResult[] = new Array(items.length);
  const templates = new Map<DesiredStateInput, DesiredTemplate | InvalidInput>();
  const sends: Promise<void>[] = [];
  for (let start = 0; start < items.length; start += chunkSize) {
    if (start > 0) await nextTurn();
    const chunk = items.slice(start, start + chunkSize);
    const issuedAt = deps.now();
    let staged: Staged[];
    try {
      staged = deps.store.transaction(() =>
        storeChunk(deps.store, chunk, start, templates, issuedAt, results),
      );
    } catch (error) {
      deps.log.warn({ err: error, devices: chunk.length }, 'desired states not stored');
      for (const [i, item] of chunk.entries())
        results[start + i] = { deviceId: item.deviceId, ok: false, error };
      continue;
    }
    // Issued right after the commit, with no await between: publishes leave in commit (= rev) order.
    for (const { index, deviceId, rev, payload } of staged) {
      sends.push(
        deps.send(deviceId, payload).then(
          () => {
            results[index] = { deviceId, ok: true, rev, issuedAt };
          },
          (error: unknown) => {
            results[index] = { deviceId, ok: false, error };
          },
        ),
      );
    }
  }
  await Promise.all(sends);
  return results;
}

/** Inside one transaction: the next rev and stamped state of each entry of a chunk, stored. */
function storeChunk(
  store: DeviceStateStore,
  chunk: readonly DesiredPublish[],
  offset: number,
  templates: Map<DesiredStateInput, DesiredTemplate | InvalidInput>,
  issuedAt: number,
  results: DesiredPublishResult[],
): Staged[] {
  const staged: Staged[] = [];
  for (const [i, { deviceId, input }] of chunk.entries()) {
    try {
      let template = templates.get(input);
      if (!template) {
        template = templateOf(input, issuedAt);
        templates.set(input, template);
      }
      if (template instanceof InvalidInput) throw template;
      const current = store.desiredRevOf(deviceId);
      if (current === undefined) throw new NotFound(`no device ${deviceId}`, { field: 'deviceId' });
      const rev = current + 1;
      const { text, payload } = template.stamp(deviceId, rev, issuedAt);
      store.storeDesired(deviceId, rev, text);
      staged.push({ index: offset + i, deviceId, rev, payload });
    } catch (error) {
      // Anything else (a storage error) rolls the chunk back.
      if (!(error instanceof InvalidInput || error instanceof NotFound)) throw error;
      results[offset + i] = { deviceId, ok: false, error };
    }
  }
  return staged;
}

/** The validated template of an input, or the InvalidInput that says why it has none. */
function templateOf(input: DesiredStateInput, issuedAt: number): DesiredTemplate | InvalidInput {
  try {
    return DesiredTemplate.of(input, issuedAt);
  } catch (err) {
    if (err instanceof InvalidInput) return err;
    throw err;
  }
}
