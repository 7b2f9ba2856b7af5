import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Profile } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { parseSelector } from '../labels/selector';
import { dbSpecResolver } from '../models';
import { versionMetrics } from '../monitoring/version-metrics';
import { CLS_SPEC, clsReport, clsWindowProfile, insertClsVersion } from './fixtures';
import { TelemetryIngestor } from './ingest';
import { profileText } from './profile-codec';
import { parseReportEnvelope } from './report-envelope';

let dir: string;
let database: FleetDatabase;
let ingestor: TelemetryIngestor;
const dev = (id: string) => ({ scope: 'dev' as const, sourceId: id });
const hour = Date.UTC(2026, 10, 23, 10);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ef-ingest-'));
  database = openDatabase(dir);
  insertClsVersion(database.db, '1.0.0');
  for (const [id, site] of [
    ['a', 'plant-a'],
    ['b', 'plant-b'],
  ]) {
    database.db
      .insert(schema.devices)
      .values({ id: id!, tokenHash: 'x', labels: { site: site! }, createdAt: 0 })
      .run();
  }
  ingestor = new TelemetryIngestor({
    db: database.db,
    specs: dbSpecResolver(database.db),
    maxBatchDelayMs: 5,
  });
});

afterAll(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TelemetryIngestor', () => {
  it('stores a report sent twice in one batch once and acks both', async () => {
    const report = clsReport('a', 1, clsWindowProfile(1));
    const [first, second] = await Promise.all([
      ingestor.submit(dev('a'), report),
      ingestor.submit(dev('a'), report),
    ]);
    expect(first).toMatchObject({ status: 'stored', reportStatus: 'merged', ack: { seq: 1, seqs: [1] } });
    expect(second).toMatchObject({ status: 'duplicate', ack: { seq: 1, seqs: [1] } });
    const aggregates = database.db.select().from(schema.telemetryAggregates).all();
    expect(aggregates.map((a) => [a.sourceId, a.reports, a.inferences])).toEqual([['a', 1, 60]]);
  });

  it('acks exactly the seq stored beside the highest stored seq of the epoch, also for a late report', async () => {
    const five = await ingestor.submit(dev('a'), clsReport('a', 5, clsWindowProfile(5)));
    // Seqs 2 to 4 never arrived: the ack of 5 must not name them.
    expect(five).toMatchObject({ status: 'stored', ack: { epoch: 1, seq: 5, seqs: [5] } });
    const late = await ingestor.submit(dev('a'), clsReport('a', 3, clsWindowProfile(3)));
    expect(late).toMatchObject({ status: 'stored', ack: { epoch: 1, seq: 5, seqs: [3] } });
    const nextEpoch = await ingestor.submit(dev('a'), clsReport('a', 1, clsWindowProfile(9), { epoch: 2 }));
    expect(nextEpoch).toMatchObject({ status: 'stored', ack: { epoch: 2, seq: 1, seqs: [1] } });
  });

  it('stores reports of an unknown version unmerged, but refuses an unreadable profile', async () => {
    const unknown = await ingestor.submit(
      dev('b'),
      clsReport('b', 1, clsWindowProfile(1), { version: '9.9.9' }),
    );
    expect(unknown).toMatchObject({ status: 'stored', reportStatus: 'unknown_version' });
    const broken = clsReport('b', 2, clsWindowProfile(2), { version: '9.9.9' });
    const refused = await ingestor.submit(dev('b'), {
      ...broken,
      profile: { ...broken.profile, inputs: 'x' },
    });
    expect(refused).toMatchObject({ status: 'rejected', reason: 'invalid_profile' });
    const underSpec = clsReport('b', 3, clsWindowProfile(3));
    const refusedToo = await ingestor.submit(dev('b'), {
      ...underSpec,
      profile: { ...underSpec.profile, inferences: -1 },
    });
    expect(refusedToo).toMatchObject({ status: 'rejected', reason: 'invalid_profile' });
    expect(ingestor.stats.unknownVersions).toBe(1);
  });

  it('answers metrics: merged profile, quantiles, error rate, drift alert on shifted inputs, selector', async () => {
    for (let seq = 10; seq < 30; seq++)
      await ingestor.submit(dev('b'), clsReport('b', seq, clsWindowProfile(seq, 60, 0.3)));
    const specs = dbSpecResolver(database.db);
    const all = versionMetrics(database.db, specs, {
      modelName: 'cls',
      version: '1.0.0',
      fromMs: hour,
      toMs: hour + 86_400_000,
    });
    expect(all.reports).toBe(24);
    expect(all.devices).toBe(2);
    expect(all.inferences).toBe(24 * 60);
    expect(all.latencyMs.total.p99).toBeGreaterThanOrEqual(all.latencyMs.total.p50!);
    expect(all.latencyMs.infer.p50).toBeGreaterThan(2);
    expect(all.errorRate).toBeCloseTo(all.errors / all.inferences);
    const selector = parseSelector('site=plant-a');
    if (!selector.ok) throw new Error('selector');
    const plantA = versionMetrics(database.db, specs, {
      modelName: 'cls',
      version: '1.0.0',
      fromMs: hour,
      toMs: hour + 86_400_000,
      selector: selector.value,
    });
    expect(plantA.reports).toBe(4);
    expect(plantA.drift?.inputs.find((f) => f.name === 'brightness')?.verdict).not.toBe('alert');
    const shifted = versionMetrics(database.db, specs, {
      modelName: 'cls',
      version: '1.0.0',
      fromMs: hour,
      toMs: hour + 86_400_000,
      selector: (parseSelector('site=plant-b') as { ok: true; value: never }).value,
    });
    expect(shifted.drift?.inputs.find((f) => f.name === 'brightness')?.verdict).toBe('alert');
    expect(
      versionMetrics(database.db, specs, { modelName: 'cls', version: '1.0.0', fromMs: 0, toMs: 1 }).reports,
    ).toBe(0);
  });

  it('stores the profile text as received and merges what Profile.fromJSON reads', async () => {
    const startMs = Date.UTC(2026, 0, 5, 3);
    const windows = [clsWindowProfile(41), clsWindowProfile(42, 30, 0.1)];
    for (const [i, window] of windows.entries()) {
      const text = JSON.stringify(clsReport('c', i + 1, window, { startMs }), null, i === 0 ? 1 : undefined);
      const report = parseReportEnvelope(Buffer.from(text), { maxBytes: 1 << 20 });
      if (!report.ok) throw new Error(report.error.message);
      expect(await ingestor.submit(dev('c'), report.value)).toMatchObject({ status: 'stored' });
      const row = database.db
        .select({ profile: schema.telemetryReports.profile })
        .from(schema.telemetryReports)
        .where(eq(schema.telemetryReports.sourceId, 'c'))
        .all()
        .at(-1);
      expect(row?.profile).toBe(
        JSON.stringify(window.toJSON(), null, i === 0 ? 1 : undefined).replaceAll('\n', '\n '),
      );
    }
    const expected = new Profile(CLS_SPEC);
    for (const w of windows)
      expected.merge((Profile.fromJSON(w.toJSON(), CLS_SPEC) as { value: Profile }).value);
    const [aggregate] = database.db
      .select()
      .from(schema.telemetryAggregates)
      .where(eq(schema.telemetryAggregates.sourceId, 'c'))
      .all();
    expect(aggregate?.reports).toBe(2);
    expect(JSON.parse(profileText(aggregate!.profile))).toEqual(
      JSON.parse(JSON.stringify(expected.toJSON())),
    );
  });

  it('answers a failed write with storage_failed and no ack', async () => {
    const closed = openDatabase(dir);
    const failing = new TelemetryIngestor({ db: closed.db, specs: dbSpecResolver(database.db) });
    closed.close();
    const outcome = await failing.submit(dev('a'), clsReport('a', 99, clsWindowProfile(99)));
    expect(outcome).toMatchObject({ status: 'rejected', reason: 'storage_failed' });
  });

  it("stores the window's software metrics when the client sends them", async () => {
    const software = {
      rssBytes: 96_468_992,
      heapUsedBytes: 21_233_664,
      cpuUserMs: 812.5,
      cpuSystemMs: 93.25,
      eventLoopDelayP50Ms: 10.1,
      eventLoopDelayP99Ms: 12.7,
      eventLoopDelayMaxMs: 48.3,
    };
    await ingestor.submit(dev('sw'), { ...clsReport('sw', 1, clsWindowProfile(1)), software });
    await ingestor.submit(dev('sw'), clsReport('sw', 2, clsWindowProfile(2)));
    const rows = database.db
      .select({ seq: schema.telemetryReports.seq, software: schema.telemetryReports.software })
      .from(schema.telemetryReports)
      .where(eq(schema.telemetryReports.sourceId, 'sw'))
      .all();
    expect(rows.sort((a, b) => a.seq - b.seq)).toEqual([
      { seq: 1, software },
      { seq: 2, software: null },
    ]);
  });
});
