import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCaptureCounters } from '@edgefleet/shared/capture';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleQueue } from './queue';
import { CaptureStore } from './store';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const open = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-capture-queue-'));
  dirs.push(dir);
  return join(dir, 'capture.db');
};
const sample = (
  sha: string,
  capturedMs: number,
  sizeBytes: number,
  reasons: string[] = ['low_confidence'],
) => ({
  sha256: sha.repeat(64).slice(0, 64),
  capturedMs,
  sizeBytes,
  meta: JSON.stringify({ reasons }),
  content: Buffer.alloc(sizeBytes, sha),
});
const random = (sha: string, capturedMs: number, sizeBytes: number) =>
  sample(sha, capturedMs, sizeBytes, ['random']);
const queued = (path: string) => {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT sha256 FROM samples ORDER BY captured_ms').all() as { sha256: string }[];
  db.close();
  return rows.map((r) => r.sha256[0]);
};

describe('SampleQueue (real SQLite)', () => {
  it('dedupes by content sha256, bounds bytes (overflow counted), keeps order and survives a reopen', () => {
    const path = open();
    const counters = emptyCaptureCounters();
    let store = new CaptureStore(path);
    const q = new SampleQueue(store, counters, 2_500, () => 0);
    expect(q.enqueue(sample('a', 2, 1_000))).toBe('queued');
    expect(q.enqueue(sample('a', 3, 1_000))).toBe('duplicate');
    expect(q.enqueue(sample('b', 1, 1_000))).toBe('queued');
    // A random-only sample never evicts the rule-chosen ones: refused.
    expect(q.enqueue(random('c', 4, 1_000), true)).toBe('overflow');
    // Larger than the whole bound: refused, nothing evicted for it.
    expect(q.enqueue(sample('d', 5, 2_501))).toBe('overflow');
    expect(counters.dropped).toMatchObject({ overflow: 2, evicted: 0 });
    expect(counters.queue).toEqual({ samples: 2, bytes: 2_000 });
    store.close();
    store = new CaptureStore(path);
    const again = new SampleQueue(store, emptyCaptureCounters(), 2_500, () => 0);
    expect(again.size).toEqual({ samples: 2, bytes: 2_000 });
    const first = again.next()!;
    expect(first.sha256.startsWith('b')).toBe(true); // oldest capture first
    again.remove(first);
    expect(again.next()!.sha256.startsWith('a')).toBe(true);
    expect(again.size).toEqual({ samples: 1, bytes: 1_000 });
    store.close();
  });

  it('makes room for a new sample: ε-random samples first, oldest first, then the oldest others (counted)', () => {
    const path = open();
    const counters = emptyCaptureCounters();
    const store = new CaptureStore(path);
    const q = new SampleQueue(store, counters, 4_000, () => 0);
    q.enqueue(random('a', 1, 1_000), true);
    q.enqueue(sample('b', 2, 1_000));
    q.enqueue(random('c', 3, 1_000), true);
    q.enqueue(sample('d', 4, 1_000, ['random', 'low_margin']));
    expect(q.roomFor(1_000, true)).toBe(true);
    // A new random sample pushes out the oldest random one.
    expect(q.enqueue(random('e', 5, 1_000), true)).toBe('queued');
    expect(queued(path)).toEqual(['b', 'c', 'd', 'e']);
    // A rule-chosen one needing 2 kB: both random ones (c, e) go before any rule-chosen one.
    expect(q.enqueue(sample('f', 6, 2_000))).toBe('queued');
    expect(queued(path)).toEqual(['b', 'd', 'f']);
    // Only rule-chosen samples left: a random one gets no room, a rule-chosen one pushes out the oldest (b).
    expect(q.roomFor(1_000, true)).toBe(false);
    expect(q.enqueue(random('g', 7, 1_000), true)).toBe('overflow');
    expect(q.enqueue(sample('h', 8, 1_000))).toBe('queued');
    expect(queued(path)).toEqual(['d', 'f', 'h']);
    expect(counters.dropped).toMatchObject({ evicted: 4, overflow: 1 });
    expect(counters.queue).toEqual({ samples: 3, bytes: 4_000 });
    expect(store.totals()).toEqual({ samples: 3, bytes: 4_000 });
    store.close();
  });

  it('never evicts the sample being uploaded, and evicts what an earlier run queued', () => {
    const path = open();
    let store = new CaptureStore(path);
    new SampleQueue(store, emptyCaptureCounters(), 2_000, () => 0).enqueue(random('a', 1, 1_000), true);
    store.close();
    store = new CaptureStore(path);
    const counters = emptyCaptureCounters();
    const q = new SampleQueue(store, counters, 2_000, () => 0);
    q.enqueue(random('b', 2, 1_000), true);
    const inFlight = q.next()!;
    expect(inFlight.sha256[0]).toBe('a');
    // a is being uploaded: b (random, from this run) goes instead.
    expect(q.enqueue(sample('c', 3, 1_000))).toBe('queued');
    expect(queued(path)).toEqual(['a', 'c']);
    // Nothing else can go for a 2 kB sample while a is in flight.
    expect(q.enqueue(sample('d', 4, 2_000))).toBe('overflow');
    q.countTry(inFlight); // the try failed: a waits again and may be evicted
    expect(q.enqueue(sample('d', 4, 2_000))).toBe('queued');
    expect(queued(path)).toEqual(['d']);
    expect(counters.dropped).toMatchObject({ evicted: 3, overflow: 1 });
    store.close();
  });

  it('drops and counts samples older than the retention', () => {
    const counters = emptyCaptureCounters();
    let clock = 10 * DAY;
    const store = new CaptureStore(open());
    const q = new SampleQueue(store, counters, 1 << 20, () => clock);
    q.enqueue(sample('a', 10 * DAY - 3 * DAY - 1, 10));
    q.enqueue(sample('b', 10 * DAY - 3 * DAY + 1, 10));
    q.enqueue(sample('c', 10 * DAY, 10));
    expect(q.expire(3)).toBe(1);
    expect(counters.dropped.retention).toBe(1);
    clock += 3 * DAY;
    expect(q.expire(3)).toBe(1);
    expect(counters.dropped.retention).toBe(2);
    expect(counters.queue).toEqual({ samples: 1, bytes: 10 });
    store.close();
  });

  it('counts a failing store and goes on (never throws)', () => {
    const counters = emptyCaptureCounters();
    const store = new CaptureStore(open());
    const q = new SampleQueue(store, counters, 1 << 20, () => 0);
    store.close(); // every query now throws, as on a broken disk
    expect(q.enqueue(sample('a', 1, 10))).toBe('store_failed');
    expect(counters.dropped.storeFailed).toBe(1);
    expect(q.next()).toBeUndefined();
  });
});
