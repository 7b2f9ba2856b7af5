import { MAX_REPORTS_PER_BATCH } from '@edgefleet/shared';
import type { OutboxEntry } from '../storage/db';

/** Result of one POST: the outbox keys the server stored (or had stored before). */
export interface SendOutcome {
  delivered: [number, number][];
  /** Keys the server refused for good (an invalid report): resending them can never succeed. */
  refused: [number, number][];
  /** HTTP status, or 0 when the network failed. */
  status: number;
}

const batchBody = (entries: OutboxEntry[]): string => `{"reports":[${entries.map((e) => e.body).join(',')}]}`;

/**
 * POSTs reports to `/api/v1/telemetry` and returns those the server answered `stored` or `duplicate` for
 * (the server stores before it answers). Never throws: a network failure delivers nothing.
 */
export async function postReports(server: string, key: string, entries: OutboxEntry[]): Promise<SendOutcome> {
  const batch = entries.slice(0, MAX_REPORTS_PER_BATCH);
  let response: Response;
  try {
    response = await fetch(`${server}/api/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: batchBody(batch),
    });
  } catch {
    return { delivered: [], refused: [], status: 0 };
  }
  if (response.status !== 200 && response.status !== 503)
    return { delivered: [], refused: [], status: response.status };
  const answer = (await response.json().catch(() => null)) as {
    results?: { epoch: number; seq: number; status: string; reason?: string }[];
  } | null;
  const results = Array.isArray(answer?.results) ? answer.results : [];
  const keysWhere = (pick: (r: (typeof results)[number]) => boolean): [number, number][] => {
    const wanted = new Set(results.filter(pick).map((r) => `${r.epoch}:${r.seq}`));
    return batch.filter((e) => wanted.has(`${e.key[0]}:${e.key[1]}`)).map((e) => e.key);
  };
  return {
    delivered: keysWhere((r) => r.status === 'stored' || r.status === 'duplicate'),
    // Only storage failures are worth resending; every other rejection is about the report itself.
    refused: keysWhere((r) => r.status === 'rejected' && r.reason !== 'storage_failed'),
    status: response.status,
  };
}

/**
 * On page hide: hands up to 64 kB of reports to `navigator.sendBeacon` (text/plain, key in the query). The
 * reports stay in the outbox (a beacon has no answer); the server drops the duplicates when they are resent.
 */
export function beaconReports(server: string, key: string, entries: OutboxEntry[]): boolean {
  if (typeof navigator.sendBeacon !== 'function' || entries.length === 0) return false;
  const picked: OutboxEntry[] = [];
  let size = 16;
  for (const entry of entries.slice(0, MAX_REPORTS_PER_BATCH)) {
    if (size + entry.body.length + 1 > 60_000) break;
    picked.push(entry);
    size += entry.body.length + 1;
  }
  if (picked.length === 0) return false;
  return navigator.sendBeacon(`${server}/api/v1/telemetry?key=${encodeURIComponent(key)}`, batchBody(picked));
}
