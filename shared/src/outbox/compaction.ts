// Offline overflow policy: which pending window reports to merge, and only then which to drop.

/** One pending report, as the policy sees it (no profile: the caller merges those). */
export interface OutboxEntry {
  epoch: number;
  seq: number;
  model: { name: string; version: string };
  role: 'active' | 'shadow';
  specHash: string;
  window: { startMs: number; endMs: number };
  /** Inferences inside the report (what a drop loses). */
  inferences: number;
  /** Never merged: already sent (the server may hold it), or its profile cannot be read back. */
  frozen?: boolean;
}

/** Options of {@link planCompaction}. */
export interface CompactionOptions {
  /** Most entries that may remain. */
  maxEntries: number;
  /**
   * Coarser window spans to merge into, finest first: a merge is allowed when the merged window spans
   * at most the level (so no gap inside it exceeds the level). Default: one hour, then one day.
   */
  levelsMs?: readonly number[];
  /** The newest entries (by window end) that stay as they are. Default: a quarter of `maxEntries`. */
  keepNewest?: number;
  /**
   * Merge this many entries below `maxEntries` where merging can (so the next appends find room without
   * planning again); drops never go below `maxEntries`. Default 0.
   */
  headroom?: number;
}

/** What to do: each group merges into one new report (oldest first inside); `drops` are removed. */
export interface CompactionPlan<E extends OutboxEntry = OutboxEntry> {
  merges: E[][];
  drops: E[];
}

/** Default coarsening levels: minute windows merge into hours, hours into days. */
export const COMPACTION_LEVELS_MS: readonly number[] = [3_600_000, 86_400_000];

/** Entries that may merge: same model version, role and spec. */
export const streamKeyOf = (e: OutboxEntry): string =>
  `${e.model.name}\u0000${e.model.version}\u0000${e.role}\u0000${e.specHash}`;

const byAge = (a: OutboxEntry, b: OutboxEntry): number =>
  a.window.startMs - b.window.startMs ||
  a.window.endMs - b.window.endMs ||
  a.epoch - b.epoch ||
  a.seq - b.seq;

const byNewest = (a: OutboxEntry, b: OutboxEntry): number =>
  b.window.endMs - a.window.endMs || b.epoch - a.epoch || b.seq - a.seq;

interface Unit<E> {
  members: E[];
  startMs: number;
  endMs: number;
  locked: boolean;
  stream: string;
}

/**
 * Plans how an outbox over `maxEntries` gets back to it: merge adjacent windows of one stream (same model
 * version, role and specHash), oldest first, into windows spanning at most the first level, then the next
 * (minutes → hours → days); never a frozen entry nor one of the `keepNewest` newest, never across one.
 * Only when nothing more can merge are the oldest reports dropped, down to `maxEntries` and no further.
 * Merging keeps every inference.
 * @example const plan = planCompaction(pending, { maxEntries: 9_999 }); // room for one more
 */
export function planCompaction<E extends OutboxEntry>(
  entries: readonly E[],
  options: CompactionOptions,
): CompactionPlan<E> {
  const maxEntries = Math.max(0, Math.floor(options.maxEntries));
  if (entries.length <= maxEntries) return { merges: [], drops: [] };
  const headroom = Math.min(maxEntries, Math.max(0, Math.floor(options.headroom ?? 0)));
  let excess = entries.length - (maxEntries - headroom);
  const levels = [...(options.levelsMs ?? COMPACTION_LEVELS_MS)].sort((a, b) => a - b);
  const keepNewest = Math.max(0, Math.floor(options.keepNewest ?? maxEntries / 4));
  const newest = new Set<E>([...entries].sort(byNewest).slice(0, keepNewest));

  // Units in age order per stream; a unit is one entry or a planned merge group.
  const streams = new Map<string, Unit<E>[]>();
  for (const e of [...entries].sort(byAge)) {
    const stream = streamKeyOf(e);
    const unit: Unit<E> = {
      members: [e],
      startMs: e.window.startMs,
      endMs: e.window.endMs,
      locked: e.frozen === true || newest.has(e),
      stream,
    };
    const units = streams.get(stream);
    if (units) units.push(unit);
    else streams.set(stream, [unit]);
  }

  for (const levelMs of levels) {
    if (excess <= 0) break;
    // Links between neighbours of a stream, oldest first across all streams.
    const links: { units: Unit<E>[]; at: number }[] = [];
    for (const units of streams.values())
      for (let i = 0; i + 1 < units.length; i++) links.push({ units, at: i });
    links.sort((a, b) => byUnitAge(a.units[a.at]!, b.units[b.at]!));
    const mergedInto = new Map<Unit<E>, Unit<E>>();
    const groupOf = (u: Unit<E>): Unit<E> => mergedInto.get(u) ?? u;
    for (const { units, at } of links) {
      if (excess <= 0) break;
      const older = groupOf(units[at]!);
      const newer = units[at + 1]!;
      if (older.locked || newer.locked) continue;
      const endMs = Math.max(older.endMs, newer.endMs);
      if (endMs - older.startMs > levelMs) continue;
      older.members.push(...newer.members);
      older.endMs = endMs;
      mergedInto.set(newer, older);
      excess--;
    }
    for (const [stream, units] of streams)
      streams.set(
        stream,
        units.filter((u) => !mergedInto.has(u)),
      );
  }

  const units = [...streams.values()].flat();
  const drops: E[] = [];
  const overBound = units.length - maxEntries;
  if (overBound > 0) {
    units.sort(byUnitAge);
    const dropped = new Set(units.slice(0, overBound));
    for (const u of dropped) drops.push(...u.members);
    return {
      merges: units.filter((u) => !dropped.has(u) && u.members.length > 1).map((u) => u.members),
      drops,
    };
  }
  return { merges: units.filter((u) => u.members.length > 1).map((u) => u.members), drops };
}

function byUnitAge<E extends OutboxEntry>(a: Unit<E>, b: Unit<E>): number {
  return byAge(a.members[0]!, b.members[0]!);
}
