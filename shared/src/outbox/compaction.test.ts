import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPACTION_LEVELS_MS, type OutboxEntry, planCompaction, streamKeyOf } from './compaction';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A run of one-minute windows of a stream, as an agent writes them (with random offline gaps). */
const entriesArb = fc
  .array(
    fc.record({
      version: fc.constantFrom('1.0.0', '2.0.0'),
      role: fc.constantFrom('active' as const, 'shadow' as const),
      gapMs: fc.oneof(fc.constant(0), fc.nat({ max: 2 * DAY })),
      lengthMs: fc.constantFrom(MINUTE, 30_000, 5 * MINUTE),
      inferences: fc.nat({ max: 1_000 }),
      sent: fc.nat({ max: 9 }).map((n) => n === 0),
    }),
    { maxLength: 120 },
  )
  .map((drafts) => {
    let t = 1_763_900_000_000;
    return drafts.map((d, i): OutboxEntry => {
      t += d.gapMs;
      const entry: OutboxEntry = {
        epoch: 1 + Math.floor(i / 50),
        seq: 1 + (i % 50),
        model: { name: 'cls', version: d.version },
        role: d.role,
        specHash: d.version === '1.0.0' ? 'aaaaaaaa' : 'bbbbbbbb',
        window: { startMs: t, endMs: t + d.lengthMs },
        inferences: d.inferences,
        ...(d.sent ? { frozen: true } : {}),
      };
      t += d.lengthMs;
      return entry;
    });
  });

const id = (e: OutboxEntry) => `${e.epoch}:${e.seq}`;
const sum = (es: readonly OutboxEntry[]) => es.reduce((n, e) => n + e.inferences, 0);
const newestOf = (es: readonly OutboxEntry[], n: number) =>
  new Set(
    [...es]
      .sort((a, b) => b.window.endMs - a.window.endMs || b.epoch - a.epoch || b.seq - a.seq)
      .slice(0, n)
      .map(id),
  );

describe('planCompaction', () => {
  it('does nothing within the bound', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        expect(planCompaction(entries, { maxEntries: entries.length })).toEqual({ merges: [], drops: [] });
      }),
    );
  });

  it('partitions the entries, keeps every inference it does not drop, and meets the bound (property)', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.nat({ max: 130 }),
        fc.nat({ max: 40 }),
        (entries, maxEntries, keepNewest) => {
          const plan = planCompaction(entries, { maxEntries, keepNewest });
          const touched = [...plan.merges.flat(), ...plan.drops].map(id);
          expect(new Set(touched).size).toBe(touched.length);
          const untouched = entries.filter((e) => !touched.includes(id(e)));
          // Each merge group becomes one report holding its members' inferences.
          const after = untouched.length + plan.merges.length;
          expect(after).toBeLessThanOrEqual(Math.max(maxEntries, 0));
          if (entries.length > maxEntries) expect(after).toBe(maxEntries);
          expect(sum(untouched) + sum(plan.merges.flat()) + sum(plan.drops)).toBe(sum(entries));
          if (plan.drops.length === 0) expect(sum(untouched) + sum(plan.merges.flat())).toBe(sum(entries));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('merges up to `headroom` below the bound but drops only down to the bound (property)', () => {
    fc.assert(
      fc.property(entriesArb, fc.nat({ max: 130 }), fc.nat({ max: 40 }), (entries, maxEntries, headroom) => {
        const plan = planCompaction(entries, { maxEntries, headroom, keepNewest: 0 });
        const after = entries.length - plan.merges.flat().length + plan.merges.length - plan.drops.length;
        if (entries.length <= maxEntries) expect(plan).toEqual({ merges: [], drops: [] });
        else expect(after).toBeGreaterThanOrEqual(Math.max(0, maxEntries - headroom));
        expect(after).toBeLessThanOrEqual(Math.min(entries.length, maxEntries));
        // Dropping means nothing more could merge: then headroom changes nothing.
        if (plan.drops.length > 0) {
          expect(after).toBe(maxEntries);
          expect(plan).toEqual(planCompaction(entries, { maxEntries, keepNewest: 0 }));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('merges only adjacent, unfrozen windows of one stream within the coarsest level, leaving the newest alone (property)', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.nat({ max: 130 }),
        fc.nat({ max: 40 }),
        (entries, maxEntries, keepNewest) => {
          const plan = planCompaction(entries, { maxEntries, keepNewest });
          const newest = newestOf(entries, keepNewest);
          const dropped = new Set(plan.drops.map(id));
          for (const group of plan.merges) {
            expect(group.length).toBeGreaterThanOrEqual(2);
            expect(new Set(group.map(streamKeyOf)).size).toBe(1);
            for (const e of group) {
              expect(e.frozen, id(e)).not.toBe(true);
              expect(newest.has(id(e)), id(e)).toBe(false);
            }
            const startMs = Math.min(...group.map((e) => e.window.startMs));
            const endMs = Math.max(...group.map((e) => e.window.endMs));
            expect(endMs - startMs).toBeLessThanOrEqual(COMPACTION_LEVELS_MS.at(-1)!);
            // Adjacent: no other entry of the stream starts inside the merged window.
            const inside = entries.filter(
              (e) =>
                streamKeyOf(e) === streamKeyOf(group[0]!) &&
                !group.includes(e) &&
                e.window.startMs > startMs &&
                e.window.startMs < endMs,
            );
            expect(inside.filter((e) => !dropped.has(id(e)))).toEqual([]);
          }
          // The newest are dropped only when everything else is already gone.
          const droppedNewest = plan.drops.filter((e) => newest.has(id(e)));
          if (droppedNewest.length > 0) expect(maxEntries).toBeLessThan(newest.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops only when nothing more can merge (property)', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.nat({ max: 130 }),
        fc.nat({ max: 40 }),
        (entries, maxEntries, keepNewest) => {
          const plan = planCompaction(entries, { maxEntries, keepNewest });
          if (plan.drops.length === 0) return;
          const newest = newestOf(entries, keepNewest);
          const removed = new Set([...plan.merges.flat(), ...plan.drops].map(id));
          // What is left, merged groups as single windows: no two neighbours of a stream could still merge.
          // (Drops take the oldest windows, so a stream's dropped ones are a prefix and leave no hole.)
          const units = [
            ...entries
              .filter((e) => !removed.has(id(e)))
              .map((e) => ({ stream: streamKeyOf(e), members: [e] })),
            ...plan.merges.map((g) => ({ stream: streamKeyOf(g[0]!), members: g })),
          ];
          const startOf = (u: { members: OutboxEntry[] }) =>
            Math.min(...u.members.map((e) => e.window.startMs));
          const endOf = (u: { members: OutboxEntry[] }) => Math.max(...u.members.map((e) => e.window.endMs));
          const locked = (u: { members: OutboxEntry[] }) =>
            u.members.some((e) => e.frozen === true || newest.has(id(e)));
          const byStream = new Map<string, typeof units>();
          for (const u of units) byStream.set(u.stream, [...(byStream.get(u.stream) ?? []), u]);
          for (const list of byStream.values()) {
            list.sort((a, b) => startOf(a) - startOf(b) || endOf(a) - endOf(b));
            for (let i = 0; i + 1 < list.length; i++) {
              const [a, b] = [list[i]!, list[i + 1]!];
              const mergeable =
                !locked(a) &&
                !locked(b) &&
                Math.max(endOf(a), endOf(b)) - startOf(a) <= COMPACTION_LEVELS_MS.at(-1)!;
              expect(mergeable).toBe(false);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('merges the oldest minutes into hours before it makes days, and never touches the newest', () => {
    const start = 1_763_856_000_000;
    const entries: OutboxEntry[] = Array.from({ length: 180 }, (_, i) => ({
      epoch: 1,
      seq: i + 1,
      model: { name: 'cls', version: '1.0.0' },
      role: 'active',
      specHash: 'aaaaaaaa',
      window: { startMs: start + i * MINUTE, endMs: start + (i + 1) * MINUTE },
      inferences: 2,
    }));
    const plan = planCompaction(entries, { maxEntries: 179, keepNewest: 10 });
    expect(plan).toEqual({ merges: [[entries[0], entries[1]]], drops: [] });
    const hours = planCompaction(entries, { maxEntries: 13, keepNewest: 10 });
    expect(hours.drops).toEqual([]);
    // 170 mergeable minutes: the first two hours merge whole, the rest into one ≤ 1 h window.
    expect(hours.merges.map((g) => g.length)).toEqual([60, 60, 50]);
    for (const g of hours.merges)
      expect(g.at(-1)!.window.endMs - g[0]!.window.startMs).toBeLessThanOrEqual(HOUR);
    const oneDay = planCompaction(entries, { maxEntries: 12, keepNewest: 10 });
    expect(oneDay.merges.map((g) => g.length)).toEqual([120, 50]);
    const days = planCompaction(entries, { maxEntries: 11, keepNewest: 10 });
    expect(days).toEqual({ merges: [entries.slice(0, 170)], drops: [] });
    const full = planCompaction(entries, { maxEntries: 10, keepNewest: 10 });
    expect(full.merges).toEqual([]);
    expect(full.drops).toEqual(entries.slice(0, 170));
  });

  it('never merges across another stream, a frozen window, or a gap wider than the level', () => {
    const at = (startMs: number, over: Partial<OutboxEntry> = {}): OutboxEntry => ({
      epoch: 1,
      seq: startMs,
      model: { name: 'cls', version: '1.0.0' },
      role: 'active',
      specHash: 'aaaaaaaa',
      window: { startMs, endMs: startMs + MINUTE },
      inferences: 1,
      ...over,
    });
    const shadow = [at(0), at(MINUTE, { role: 'shadow' }), at(2 * MINUTE, { role: 'shadow' })];
    expect(planCompaction([...shadow, at(3 * MINUTE)], { maxEntries: 3, keepNewest: 0 }).merges).toEqual([
      [shadow[0], at(3 * MINUTE)],
    ]);
    const frozen = [at(0), at(MINUTE, { frozen: true }), at(2 * MINUTE)];
    expect(planCompaction(frozen, { maxEntries: 2, keepNewest: 0 })).toEqual({
      merges: [],
      drops: [frozen[0]],
    });
    const apart = [at(0), at(DAY + MINUTE)];
    expect(planCompaction(apart, { maxEntries: 1, keepNewest: 0 })).toEqual({
      merges: [],
      drops: [apart[0]],
    });
  });
});
