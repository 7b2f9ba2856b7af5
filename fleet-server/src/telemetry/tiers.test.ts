import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyFeedback, type FeedbackAggregate, mergeFeedback, Profile } from '@edgefleet/shared';
import { count, eq, sum } from 'drizzle-orm';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { parseSelector } from '../labels/selector';
import { dbSpecResolver } from '../models';
import { versionTimeseries } from '../monitoring/timeseries';
import { feedbackRowsOf } from '../quality/store';
import { CLS_SPEC, clsReport, clsWindowProfile, insertClsVersion } from './fixtures';
import { TelemetryIngestor } from './ingest';
import { profileText, type StoredProfile } from './profile-codec';
import { DAY_MS, HOUR_MS, TierMaintenance, type TierRetention } from './tiers';

const T0 = Date.UTC(2026, 10, 20); // a UTC day start
const dev = (id: string) => ({ scope: 'dev' as const, sourceId: id });
const selector = (text: string) => {
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
};
let open: { database: FleetDatabase; dir: string }[] = [];

afterEach(() => {
  for (const { database, dir } of open) {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  open = [];
});

/** A fresh database with cls@1.0.0 and devices d0…d3 (labelled by site), an ingestor and a maintenance on a shared clock. */
function setup(retention: TierRetention, options: { batchRows?: number; hourlyRetentionMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ef-tiers-'));
  const database = openDatabase(dir);
  open.push({ database, dir });
  insertClsVersion(database.db, '1.0.0');
  for (let d = 0; d < 4; d++) {
    database.db
      .insert(schema.devices)
      .values({ id: `d${d}`, tokenHash: 'x', labels: { site: d % 2 ? 'b' : 'a' }, createdAt: 0 })
      .run();
  }
  const clock = { now: T0 };
  const specs = dbSpecResolver(database.db);
  const ingestor = new TelemetryIngestor({
    db: database.db,
    specs,
    now: () => clock.now,
    maxBatchDelayMs: 1,
    maxBatchReports: 50,
    hourlyRetentionMs: options.hourlyRetentionMs ?? retention.hourlyMs,
  });
  const tiers = new TierMaintenance({
    db: database.db,
    specs,
    retention,
    now: () => clock.now,
    batchRows: options.batchRows,
  });
  return { database, db: database.db, specs, ingestor, tiers, clock };
}

/** Feedback of `labelled` labels (the first `correct` of them right), all routed automatically. */
function feedbackOf(labelled: number, correct: number): FeedbackAggregate {
  const f = emptyFeedback(CLS_SPEC.classes ?? []);
  f.counts[0]![0] = correct;
  f.counts[1]![0] = labelled - correct;
  f.labels.auto = { labelled, correct };
  f.routed.auto = labelled;
  return f;
}

interface Sent {
  device: number;
  seq: number;
  startMs: number;
  profile: Profile;
  feedback?: FeedbackAggregate;
}

async function ingest(ingestor: TelemetryIngestor, sent: Sent[]): Promise<void> {
  const outcomes = await Promise.all(
    sent.map((s) => {
      const report = clsReport(`d${s.device}`, s.seq, s.profile, { startMs: s.startMs });
      return ingestor.submit(dev(`d${s.device}`), s.feedback ? { ...report, feedback: s.feedback } : report);
    }),
  );
  for (const o of outcomes) expect(o.status).toBe('stored');
}

/** Numbers equal up to float rounding (merges in another order), everything else exactly. */
function expectClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected) && Number.isInteger(actual)) expect(actual, path).toBe(expected);
    else
      expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
  for (const k of keys)
    expectClose(
      (actual as Record<string, unknown>)[k],
      (expected as Record<string, unknown>)[k],
      `${path}.${k}`,
    );
}

function mergeAll(profiles: Profile[]): Profile {
  const merged = new Profile(CLS_SPEC);
  for (const p of profiles) merged.merge(p);
  return merged;
}

const sentArb = fc.array(
  fc.record({
    device: fc.integer({ min: 0, max: 3 }),
    minute: fc.integer({ min: 0, max: 3 * 24 * 60 - 1 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    inferences: fc.integer({ min: 1, max: 40 }),
    labelled: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 60 },
);

/** Sent windows with seqs rising per device in time order (as a client's outbox sends them). */
interface Window {
  device: number;
  minute: number;
  seed: number;
  inferences: number;
  labelled: number | undefined;
}

function windowsOf(arb: Window[]): Sent[] {
  const seen = new Set<string>();
  const unique = arb.filter((a) => {
    const key = `${a.device}:${a.minute}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  unique.sort((a, b) => a.minute - b.minute);
  const seqs = [0, 0, 0, 0];
  return unique.map((a) => ({
    device: a.device,
    seq: ++seqs[a.device]!,
    startMs: T0 + a.minute * 60_000,
    profile: clsWindowProfile(a.seed, a.inferences),
    feedback: a.labelled === undefined ? undefined : feedbackOf(a.labelled, Math.min(1, a.labelled)),
  }));
}

describe('telemetry tiers', () => {
  it('merges every tier row exactly as the merge of its raw reports, before and after raw retention', async () => {
    await fc.assert(
      fc.asyncProperty(sentArb, async (arb) => {
        const { db, specs, ingestor, tiers, clock } = setup({ rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 });
        const sent = windowsOf(arb);
        clock.now = T0 + 3 * DAY_MS;
        await ingest(ingestor, sent);
        clock.now = T0 + 6 * DAY_MS; // every raw report is past the raw retention
        const stats = await tiers.runPass();
        expect(stats.rawDeleted).toBe(sent.length);
        expect(db.select({ n: count() }).from(schema.telemetryReports).get()?.n).toBe(0);
        const byKey = (keyOf: (s: Sent) => string) => {
          const groups = new Map<string, Sent[]>();
          for (const s of sent) groups.set(keyOf(s), [...(groups.get(keyOf(s)) ?? []), s]);
          return groups;
        };
        const spec = specs.baselineOf('cls', '1.0.0')!.spec;
        const read = (stored: StoredProfile) => {
          const parsed = Profile.fromJSON(JSON.parse(profileText(stored)), spec);
          if (!parsed.ok) throw new Error(parsed.error.message);
          return parsed;
        };
        const hours = db.select().from(schema.telemetryAggregates).all();
        const hourly = byKey((s) => `d${s.device}@${Math.floor(s.startMs / HOUR_MS) * HOUR_MS}`);
        expect(hours).toHaveLength(hourly.size);
        // Tier rows are stored deflated.
        for (const row of hours) expect(row.profile).toBeInstanceOf(Uint8Array);
        for (const row of hours) {
          const group = hourly.get(`${row.sourceId}@${row.hourMs}`)!;
          expect(row.reports).toBe(group.length);
          expectClose(read(row.profile).value.toJSON(), mergeAll(group.map((s) => s.profile)).toJSON());
        }
        const days = db.select().from(schema.telemetryDaily).all();
        const daily = byKey((s) => `d${s.device}@${Math.floor(s.startMs / DAY_MS) * DAY_MS}`);
        expect(days).toHaveLength(daily.size);
        for (const row of days) {
          const group = daily.get(`${row.sourceId}@${row.dayMs}`)!;
          expect(row.reports).toBe(group.length);
          expectClose(read(row.profile).value.toJSON(), mergeAll(group.map((s) => s.profile)).toJSON());
          const withFeedback = group.flatMap((s) => (s.feedback ? [s.feedback] : []));
          expect(row.feedbackReports).toBe(withFeedback.length);
          const summed = withFeedback.reduce<FeedbackAggregate | null>(
            (a, f) => (a ? (mergeFeedback(a, f) as { value: FeedbackAggregate }).value : f),
            null,
          );
          expect(row.feedback).toEqual(summed);
        }
        const fleetDays = db
          .select()
          .from(schema.telemetryFleet)
          .where(eq(schema.telemetryFleet.period, 'day'))
          .all();
        const fleet = byKey((s) => String(Math.floor(s.startMs / DAY_MS) * DAY_MS));
        expect(fleetDays).toHaveLength(fleet.size);
        for (const row of fleetDays) {
          const group = fleet.get(String(row.startMs))!;
          expect(row.reports).toBe(group.length);
          expectClose(read(row.profile).value.toJSON(), mergeAll(group.map((s) => s.profile)).toJSON());
        }
      }),
      { numRuns: 8, seed: 17 },
    );
  }, 60_000);

  it('answers timeseries and quality the same after retention deleted the raw reports and the hours', async () => {
    const { db, specs, ingestor, tiers, clock } = setup(
      { rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 },
      { batchRows: 100 },
    );
    const sent = windowsOf(
      Array.from({ length: 600 }, (_, i) => ({
        device: i % 4,
        minute: (i * 7) % (4 * 24 * 60),
        seed: i + 1,
        inferences: 20 + (i % 30),
        labelled: i % 3 === 0 ? 2 : undefined,
      })),
    );
    clock.now = T0 + 4 * DAY_MS;
    await ingest(ingestor, sent);
    await tiers.runPass(); // rolls the days up; nothing is past the retention yet
    const range = { modelName: 'cls', version: '1.0.0', role: 'active' as const, rowBudget: 100_000 };
    const questions = [
      { ...range, fromMs: T0, toMs: T0 + 4 * DAY_MS, stepMs: HOUR_MS * 2 },
      { ...range, fromMs: T0, toMs: T0 + 4 * DAY_MS, stepMs: DAY_MS },
      { ...range, fromMs: T0, toMs: T0 + 4 * DAY_MS, stepMs: 3 * HOUR_MS, selector: selector('site=b') },
      { ...range, fromMs: T0, toMs: T0 + 4 * DAY_MS, stepMs: DAY_MS, deviceId: 'd2' },
    ];
    const before = questions.map((q) => versionTimeseries(db, specs, q));
    const quality = { modelName: 'cls', version: '1.0.0', fromMs: T0, toMs: T0 + 4 * DAY_MS };
    const sumOf = (rows: ReturnType<typeof feedbackRowsOf>) =>
      rows.reduce((n, r) => n + r.feedback.labels.auto.labelled, 0);
    const labelledBefore = sumOf(feedbackRowsOf(db, quality));
    expect(labelledBefore).toBe(2 * sent.filter((s) => s.feedback).length);
    expect(before[0]!.points.reduce((n, p) => n + p.reports, 0)).toBe(sent.length);

    clock.now = T0 + 9 * DAY_MS;
    const stats = await tiers.runPass();
    expect(stats.rawDeleted).toBe(sent.length);
    for (const [i, q] of questions.entries()) expectClose(versionTimeseries(db, specs, q), before[i]);
    expect(sumOf(feedbackRowsOf(db, quality))).toBe(labelledBefore);
    // A minute step cannot be answered from the hours: those points are not covered, never zeros.
    const fine = versionTimeseries(db, specs, { ...range, fromMs: T0, toMs: T0 + HOUR_MS, stepMs: 60_000 });
    expect(fine.points).toHaveLength(0);
    expect(fine.coveredFrom).toBe(T0 + HOUR_MS);
  });

  it('answers whole-day steps from the daily tier once the hourly retention deleted the hours', async () => {
    const { db, specs, ingestor, tiers, clock } = setup({
      rawMs: 48 * HOUR_MS,
      hourlyMs: 3 * DAY_MS,
      dailyMs: 0,
    });
    const sent = windowsOf(
      Array.from({ length: 200 }, (_, i) => ({
        device: i % 4,
        minute: i * 13,
        seed: i + 5,
        inferences: 30,
        labelled: undefined,
      })),
    );
    clock.now = T0 + 2 * DAY_MS;
    await ingest(ingestor, sent);
    await tiers.runPass();
    const q = {
      modelName: 'cls',
      version: '1.0.0',
      role: 'active' as const,
      rowBudget: 10_000,
      fromMs: T0,
      toMs: T0 + 2 * DAY_MS,
      stepMs: DAY_MS,
    };
    const before = [
      versionTimeseries(db, specs, q),
      versionTimeseries(db, specs, { ...q, selector: selector('site=a') }),
    ];
    clock.now = T0 + 30 * DAY_MS;
    const stats = await tiers.runPass();
    expect(stats.hoursDeleted).toBeGreaterThan(0);
    expect(db.select({ n: count() }).from(schema.telemetryAggregates).get()?.n).toBe(0);
    expectClose(versionTimeseries(db, specs, q), before[0]);
    expectClose(versionTimeseries(db, specs, { ...q, selector: selector('site=a') }), before[1]);
    // A report of a day past the hourly retention is kept raw, never merged (the day's row is final).
    const late = await ingestor.submit(
      dev('d0'),
      clsReport('d0', 10_000, clsWindowProfile(3), { startMs: T0 + HOUR_MS }),
    );
    expect(late).toMatchObject({ status: 'stored', reportStatus: 'expired' });
    expect(ingestor.stats.expired).toBe(1);
    expectClose(versionTimeseries(db, specs, q), before[0]);
  });

  it('loses no report ingested while retention deletes in small batches', async () => {
    const { db, ingestor, tiers, clock } = setup(
      { rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 },
      { batchRows: 50 },
    );
    const old = windowsOf(
      Array.from({ length: 2000 }, (_, i) => ({
        device: i % 4,
        minute: i,
        seed: i + 1,
        inferences: 5,
        labelled: undefined,
      })),
    );
    clock.now = T0 + 2 * DAY_MS;
    await ingest(ingestor, old);
    clock.now = T0 + 5 * DAY_MS;
    const fresh: Sent[] = Array.from({ length: 400 }, (_, i) => ({
      device: i % 4,
      seq: 10_000 + i,
      startMs: T0 + 5 * DAY_MS - HOUR_MS + i * 1000,
      profile: clsWindowProfile(i + 7, 5),
    }));
    const pass = tiers.runPass();
    // Submitted in slices while the pass yields between its transactions.
    const writes = (async () => {
      for (let i = 0; i < fresh.length; i += 20) {
        await ingest(ingestor, fresh.slice(i, i + 20));
      }
    })();
    const [stats] = await Promise.all([pass, writes]);
    await tiers.runPass();
    expect(stats.rawDeleted).toBe(old.length);
    expect(stats.transactions).toBeGreaterThan(old.length / 50);
    expect(db.select({ n: count() }).from(schema.telemetryReports).get()?.n).toBe(fresh.length);
    const merged = db
      .select({ n: sum(schema.telemetryAggregates.reports) })
      .from(schema.telemetryAggregates)
      .get();
    expect(Number(merged?.n)).toBe(old.length + fresh.length);
    const fleet = db
      .select({ n: sum(schema.telemetryFleet.reports) })
      .from(schema.telemetryFleet)
      .where(eq(schema.telemetryFleet.period, 'hour'))
      .get();
    expect(Number(fleet?.n)).toBe(old.length + fresh.length);
  });

  it('keeps a resent report a duplicate after retention deleted its row, and acks past the mark', async () => {
    const { db, ingestor, tiers, clock } = setup({ rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 });
    const sent = windowsOf(
      Array.from({ length: 12 }, (_, i) => ({
        device: 0,
        minute: i,
        seed: i + 1,
        inferences: 10,
        labelled: undefined,
      })),
    );
    clock.now = T0 + HOUR_MS;
    await ingest(ingestor, sent);
    clock.now = T0 + 4 * DAY_MS;
    expect((await tiers.runPass()).rawDeleted).toBe(12);
    const totals = () =>
      db
        .select({ n: sum(schema.telemetryAggregates.reports) })
        .from(schema.telemetryAggregates)
        .get()?.n;
    const resent = sent[4]!;
    const again = await ingestor.submit(
      dev('d0'),
      clsReport('d0', resent.seq, resent.profile, { startMs: resent.startMs }),
    );
    expect(again).toMatchObject({ status: 'duplicate', ack: { seq: 12, seqs: [resent.seq] } });
    expect(Number(totals())).toBe(12);
    expect(ingestor.stats.pastMark).toBe(1);
    // A later seq of the same epoch, and any seq of a new epoch, are new.
    const next = await ingestor.submit(
      dev('d0'),
      clsReport('d0', 13, clsWindowProfile(99), { startMs: T0 + 4 * DAY_MS - 60_000 }),
    );
    expect(next).toMatchObject({ status: 'stored', reportStatus: 'merged', ack: { seq: 13 } });
    const epoch2 = await ingestor.submit(
      dev('d0'),
      clsReport('d0', 1, clsWindowProfile(98), { epoch: 2, startMs: T0 + 4 * DAY_MS - 30_000 }),
    );
    expect(epoch2).toMatchObject({ status: 'stored', ack: { epoch: 2, seq: 1 } });
    expect(Number(totals())).toBe(14);
  });

  it('deletes a client mark once a resend of what it covers would be stored expired, and not before', async () => {
    const { db, ingestor, tiers, clock } = setup({ rawMs: 48 * HOUR_MS, hourlyMs: 3 * DAY_MS, dailyMs: 0 });
    const sent = windowsOf(
      Array.from({ length: 6 }, (_, i) => ({
        device: 0,
        minute: 60 + i,
        seed: i + 1,
        inferences: 10,
        labelled: undefined,
      })),
    );
    clock.now = T0 + 2 * HOUR_MS;
    await ingest(ingestor, sent);
    // d1's clock runs a day ahead: its window is moved back to end when it was received.
    const ahead = await ingestor.submit(
      dev('d1'),
      clsReport('d1', 1, clsWindowProfile(7), { startMs: T0 + DAY_MS + 2 * HOUR_MS }),
    );
    expect(ahead).toMatchObject({ status: 'stored', reportStatus: 'merged' });
    const marks = () =>
      db
        .select({ client: schema.telemetryClientMarks.clientId, seq: schema.telemetryClientMarks.prunedSeq })
        .from(schema.telemetryClientMarks)
        .all()
        .sort((a, b) => a.client.localeCompare(b.client));
    const merged = () => ingestor.stats.merged;
    const resend = (at: Sent) =>
      ingestor.submit(dev('d0'), clsReport('d0', at.seq, at.profile, { startMs: at.startMs }));

    // Day 3: the raw rows are gone, the hour T0+1h is still in the hourly tier: the marks keep resends out.
    clock.now = T0 + 3 * DAY_MS;
    const first = await tiers.runPass();
    expect(first).toMatchObject({ rawDeleted: 7, marksDeleted: 0 });
    expect(marks()).toEqual([
      { client: 'd0', seq: 6 },
      { client: 'd1', seq: 1 },
    ]);
    const before = merged();
    expect(await resend(sent[2]!)).toMatchObject({ status: 'duplicate', ack: { seq: 6 } });
    expect(merged()).toBe(before);

    // Day 4, one hour past: T0's day is past the hourly retention, a resend would be stored expired: d0's mark goes.
    // d1's window was re-dated at receipt and would be again: its mark stays.
    clock.now = T0 + 4 * DAY_MS + HOUR_MS;
    const second = await tiers.runPass();
    expect(second.marksDeleted).toBe(1);
    expect(marks()).toEqual([{ client: 'd1', seq: 1 }]);
    expect(await resend(sent[2]!)).toMatchObject({ status: 'stored', reportStatus: 'expired' });
    expect(merged()).toBe(before);
    const aheadAgain = await ingestor.submit(
      dev('d1'),
      clsReport('d1', 1, clsWindowProfile(7), { startMs: T0 + DAY_MS + 2 * HOUR_MS }),
    );
    expect(aheadAgain).toMatchObject({ status: 'duplicate' });
    expect(merged()).toBe(before);
    // The daily tier still counts every report once.
    const daily = db
      .select({ n: sum(schema.telemetryDaily.reports) })
      .from(schema.telemetryDaily)
      .get();
    expect(Number(daily?.n)).toBe(7);
  });

  it('keeps raw reports a reader holds, whatever their age', async () => {
    const { database, ingestor, clock, specs } = setup({ rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 });
    const sent = windowsOf(
      Array.from({ length: 10 }, (_, i) => ({
        device: 1,
        minute: i,
        seed: i + 1,
        inferences: 10,
        labelled: undefined,
      })),
    );
    clock.now = T0 + HOUR_MS;
    await ingest(ingestor, sent);
    const ids = database.db
      .select({ id: schema.telemetryReports.id })
      .from(schema.telemetryReports)
      .all()
      .map((r) => r.id);
    const held = new TierMaintenance({
      db: database.db,
      specs,
      retention: { rawMs: 48 * HOUR_MS, hourlyMs: 0, dailyMs: 0 },
      now: () => T0 + 9 * DAY_MS,
      rawHeldFromId: () => ids[6]!,
    });
    expect((await held.runPass()).rawDeleted).toBe(6);
    expect(database.db.select({ n: count() }).from(schema.telemetryReports).get()?.n).toBe(4);
  });
});
