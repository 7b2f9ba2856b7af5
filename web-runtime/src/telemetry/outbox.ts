import {
  mergeWindowReports,
  type OutboxEntry as PolicyEntry,
  type ProfileSpec,
  planCompaction,
  type TelemetryReport,
} from '@edgefleet/shared';
import type { IDBPTransaction } from 'idb';
import type { OutboxEntry, RuntimeDb, Store } from '../storage/db';

/** What a full outbox merged and dropped, carried in every later report (never silent). */
export interface OverflowCounts {
  mergedWindows: number;
  droppedReports: number;
  droppedInferences: number;
}

const OVERFLOW_KEY = 'overflow';
const ZERO: OverflowCounts = { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 };

type Tx = IDBPTransaction<RuntimeDb, ('outbox' | 'meta')[], 'readwrite'>;
type Candidate = PolicyEntry & { stored: OutboxEntry };

/**
 * The durable telemetry outbox in IndexedDB: reports keyed by `(epoch, seq)`, removed only when the server
 * acknowledged them. At `maxReports` an append first makes room by the shared `planCompaction`, as the agent's
 * outbox does: adjacent windows of one model version, role and spec merge into coarser ones (oldest first; the
 * newest quarter stays fine-grained), each merge written as one report under a new `seq` of this epoch in the
 * same transaction. Reports that may have reached the server (a POST or beacon was attempted) are never merged:
 * the server could count them twice. Only when nothing merges are the oldest dropped. `mergedWindows` counts
 * the reports merging saved, `droppedReports`/`droppedInferences` what was lost.
 */
export class Outbox {
  private nextSeq = 1;
  /** Counters as of the last write, for the synchronous page-hide path. */
  lastOverflow: OverflowCounts = { ...ZERO };

  constructor(
    private readonly store: Store,
    public maxReports: number,
    private readonly ids: { clientId: string; epoch: number },
  ) {}

  /**
   * Appends the report `build` makes from the next seq and the current counters (called synchronously inside
   * the write transaction, after any compaction); nothing is written when it returns undefined.
   */
  async append(
    build: (seq: number, overflow: OverflowCounts) => TelemetryReport | undefined,
  ): Promise<TelemetryReport | undefined> {
    const tx = this.store.transaction(['outbox', 'meta'], 'readwrite');
    const overflow = await this.readOverflow(tx);
    if ((await tx.objectStore('outbox').count()) >= this.maxReports) await this.compact(tx, overflow);
    const report = build(this.nextSeq, { ...overflow });
    if (report) {
      this.nextSeq = Math.max(this.nextSeq, report.seq + 1);
      await tx.objectStore('outbox').put(entryOf(report));
    }
    await tx.objectStore('meta').put({ key: OVERFLOW_KEY, value: overflow });
    await tx.done;
    this.lastOverflow = overflow;
    return report;
  }

  /** The seq the next report takes (the page-hide path builds its report synchronously). */
  peekSeq(): number {
    return this.nextSeq;
  }

  private takeSeq(): number {
    return this.nextSeq++;
  }

  /** The oldest `limit` reports. */
  async peek(limit: number): Promise<OutboxEntry[]> {
    return this.store.getAll('outbox', undefined, limit);
  }

  /** Reports waiting. */
  count(): Promise<number> {
    return this.store.count('outbox');
  }

  /** Marks reports as sent: the server may hold them from now on, so they never merge. */
  async markSent(keys: [number, number][]): Promise<void> {
    const tx = this.store.transaction('outbox', 'readwrite');
    for (const key of keys) {
      const entry = await tx.store.get(key);
      if (entry && !entry.sent) await tx.store.put({ ...entry, sent: true });
    }
    await tx.done;
  }

  /** Deletes reports the server refused for good (invalid), counting them as dropped: never silent. */
  async drop(keys: [number, number][]): Promise<void> {
    const tx = this.store.transaction(['outbox', 'meta'], 'readwrite');
    const overflow = await this.readOverflow(tx);
    const outbox = tx.objectStore('outbox');
    for (const key of keys) {
      const entry = await outbox.get(key);
      if (!entry) continue;
      overflow.droppedReports++;
      overflow.droppedInferences += Number.isSafeInteger(entry.inferences)
        ? Math.max(0, entry.inferences)
        : 0;
      await outbox.delete(key);
    }
    await tx.objectStore('meta').put({ key: OVERFLOW_KEY, value: overflow });
    await tx.done;
    this.lastOverflow = overflow;
  }

  /** Deletes acknowledged reports. */
  async remove(keys: [number, number][]): Promise<void> {
    const tx = this.store.transaction('outbox', 'readwrite');
    for (const key of keys) await tx.store.delete(key);
    await tx.done;
  }

  /** Overflow counters of this epoch. */
  async overflow(): Promise<OverflowCounts> {
    const tx = this.store.transaction('meta', 'readonly');
    return { ...ZERO, ...((await tx.store.get(OVERFLOW_KEY))?.value as object) };
  }

  private async readOverflow(tx: Tx): Promise<OverflowCounts> {
    return { ...ZERO, ...((await tx.objectStore('meta').get(OVERFLOW_KEY))?.value as object) };
  }

  // Brings the outbox to `maxReports − 1` (room for the report being appended), a tenth more where merging can.
  private async compact(tx: Tx, overflow: OverflowCounts): Promise<void> {
    const outbox = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    const stored = await outbox.getAll();
    const specs = new Map<string, ProfileSpec | undefined>();
    const candidates: Candidate[] = [];
    for (const entry of stored) {
      const head = headOf(entry);
      if (!head) {
        candidates.push(unreadable(entry));
        continue;
      }
      if (!specs.has(head.specHash))
        specs.set(head.specHash, (await meta.get(`spec:${head.specHash}`))?.value as ProfileSpec | undefined);
      candidates.push({
        ...head,
        inferences: entry.inferences,
        frozen: entry.sent === true || specs.get(head.specHash) === undefined,
        stored: entry,
      });
    }
    // The last report of an earlier epoch carries that epoch's final counters: it never merges.
    const lastOfEpoch = new Map<number, Candidate>();
    for (const c of candidates)
      if (c.epoch !== this.ids.epoch && c.seq > (lastOfEpoch.get(c.epoch)?.seq ?? 0))
        lastOfEpoch.set(c.epoch, c);
    for (const c of lastOfEpoch.values()) c.frozen = true;
    const plan = planCompaction(candidates, {
      maxEntries: this.maxReports - 1,
      headroom: Math.floor(this.maxReports / 10),
    });
    for (const group of plan.merges) {
      const reports = group.map((c) => JSON.parse(c.stored.body) as TelemetryReport);
      const merged = mergeWindowReports(reports, specs.get(group[0]!.specHash)!);
      for (const c of group) await outbox.delete(c.stored.key);
      if (!merged.ok) {
        countDropped(overflow, group);
        continue;
      }
      overflow.mergedWindows += group.length - 1;
      const { inferences: _inferences, ...fields } = merged.value;
      const report: TelemetryReport = {
        v: 1,
        ...this.ids,
        seq: this.takeSeq(),
        ...fields,
        overflow: { ...overflow },
      };
      await outbox.put(entryOf(report));
    }
    for (const c of plan.drops) {
      if (lastOfEpoch.get(c.epoch) === c) carryForward(overflow, c.stored);
      await outbox.delete(c.stored.key);
    }
    countDropped(overflow, plan.drops);
  }
}

/** The outbox record of a report. */
export function entryOf(report: TelemetryReport): OutboxEntry {
  return {
    key: [report.epoch, report.seq],
    body: JSON.stringify(report),
    inferences: report.profile.inferences ?? 0,
    createdAt: Date.now(),
  };
}

/** The fields the compaction policy needs, read from the stored report; undefined when unreadable. */
function headOf(entry: OutboxEntry): Omit<PolicyEntry, 'inferences' | 'frozen'> | undefined {
  try {
    const r = JSON.parse(entry.body) as Partial<TelemetryReport>;
    const ok =
      typeof r.model?.name === 'string' &&
      typeof r.model.version === 'string' &&
      (r.role === 'active' || r.role === 'shadow') &&
      typeof r.specHash === 'string' &&
      Number.isFinite(r.window?.startMs) &&
      Number.isFinite(r.window?.endMs);
    if (!ok) return undefined;
    return {
      epoch: entry.key[0],
      seq: entry.key[1],
      model: { name: r.model!.name, version: r.model!.version },
      role: r.role!,
      specHash: r.specHash!,
      window: { startMs: r.window!.startMs, endMs: r.window!.endMs },
    };
  } catch {
    return undefined;
  }
}

/** A stored record whose report cannot be read: frozen, oldest, its own stream (dropped first, counted). */
const unreadable = (entry: OutboxEntry): Candidate => ({
  epoch: entry.key[0],
  seq: entry.key[1],
  model: { name: '?', version: `?${entry.key.join(':')}` },
  role: 'active',
  specHash: '?',
  window: { startMs: 0, endMs: 0 },
  inferences: entry.inferences,
  frozen: true,
  stored: entry,
});

function countDropped(overflow: OverflowCounts, entries: readonly PolicyEntry[]): void {
  overflow.droppedReports += entries.length;
  for (const e of entries)
    overflow.droppedInferences += Number.isSafeInteger(e.inferences) ? Math.max(0, e.inferences) : 0;
}

// A dropped last report of an earlier epoch would take that epoch's counters along: this epoch carries them on.
function carryForward(overflow: OverflowCounts, entry: OutboxEntry): void {
  try {
    const earlier = (JSON.parse(entry.body) as TelemetryReport).overflow;
    overflow.mergedWindows += earlier.mergedWindows;
    overflow.droppedReports += earlier.droppedReports;
    overflow.droppedInferences += earlier.droppedInferences;
  } catch {
    // unreadable: nothing to carry
  }
}
