import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Ack, ackSchema, MAX_ACK_BYTES, parseMessage } from '@edgefleet/shared';
import { eq, sql } from 'drizzle-orm';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { dbSpecResolver } from '../models';
import { type EmbeddedBroker, startBroker } from '../mqtt/broker';
import { createEmbeddedLink } from '../mqtt/link';
import { staticBrokerAuth } from '../mqtt/principal';
import { collectMessages, connectClient, sleep } from '../mqtt/test-clients';
import { CLS_SPEC, clsReport, clsWindowProfile, insertClsVersion } from './fixtures';
import { TelemetryIngestor } from './ingest';
import { startMqttTelemetry } from './mqtt-ingest';

const fleet = 'f1';
const topic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const devices = { d1: 't1', d2: 't2', d3: 't3', d4: 't4' } as Record<string, string>;

let dir: string;
let database: FleetDatabase;
let broker: EmbeddedBroker;
let ingestor: TelemetryIngestor;
let stop: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-telemetry-'));
  database = openDatabase(dir);
  insertClsVersion(database.db, '1.0.0');
  broker = await startBroker({ fleet, auth: staticBrokerAuth({ devices, apps: { web: 'pk' } }) });
  ingestor = new TelemetryIngestor({
    db: database.db,
    specs: dbSpecResolver(database.db),
    maxBatchDelayMs: 10,
  });
  stop = await startMqttTelemetry({ link: createEmbeddedLink(broker.aedes), fleet, ingestor });
});

afterAll(async () => {
  await stop?.();
  ingestor?.close();
  await broker?.close();
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function device(id: string): Promise<MqttClient> {
  const client = await connectClient(broker.tcpPort!, { clientId: id, username: id, password: devices[id] });
  await client.subscribeAsync(topic(id, 'ack'), { qos: 1 });
  return client;
}

const parseAck = (m: { payload: Buffer }) => JSON.parse(m.payload.toString()) as Ack;

function rowsOf(clientId: string) {
  return database.db
    .select()
    .from(schema.telemetryReports)
    .where(eq(schema.telemetryReports.clientId, clientId))
    .all();
}

describe('telemetry over MQTT into SQLite', () => {
  it('stores a report, merges it and acks the stored seq', async () => {
    const d1 = await device('d1');
    const acks = collectMessages(d1, 1);
    await d1.publishAsync(topic('d1', 'telemetry'), JSON.stringify(clsReport('d1', 1, clsWindowProfile(1))), {
      qos: 1,
    });
    expect(parseAck((await acks)[0]!)).toEqual({ v: 1, clientId: 'd1', epoch: 1, seq: 1, seqs: [1] });
    const rows = rowsOf('d1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ scope: 'dev', sourceId: 'd1', status: 'merged', inferences: 60 });
    const agg = database.db.select().from(schema.telemetryAggregates).all();
    expect(agg).toMatchObject([
      { sourceId: 'd1', reports: 1, inferences: 60, hourMs: Date.UTC(2026, 10, 23, 10) },
    ]);
    await d1.endAsync(true);
  });

  it('stores the same report once and acks it both times', async () => {
    const d2 = await device('d2');
    const payload = JSON.stringify(clsReport('d2', 5, clsWindowProfile(5)));
    for (let attempt = 0; attempt < 2; attempt++) {
      const acks = collectMessages(d2, 1);
      await d2.publishAsync(topic('d2', 'telemetry'), payload, { qos: 1 });
      expect(parseAck((await acks)[0]!)).toMatchObject({ seq: 5, seqs: [5] });
    }
    expect(rowsOf('d2')).toHaveLength(1);
    const agg = database.db
      .select()
      .from(schema.telemetryAggregates)
      .where(eq(schema.telemetryAggregates.sourceId, 'd2'))
      .all();
    expect(agg.map((a) => [a.reports, a.inferences])).toEqual([[1, 60]]);
    expect(ingestor.stats.duplicates).toBeGreaterThanOrEqual(1);
    await d2.endAsync(true);
  });

  it('batches many concurrent reports and acks each device exactly its stored seqs', async () => {
    const ids = ['d3', 'd4'];
    const clients = await Promise.all(ids.map(device));
    const named = clients.map(() => new Set<number>());
    const lastAcks = clients.map(async (c, i) => {
      const seen: number[] = [];
      await new Promise<void>((resolve) => {
        c.on('message', (_t, p) => {
          const ack = parseMessage(ackSchema, p, { maxBytes: MAX_ACK_BYTES });
          if (!ack.ok) throw new Error(`invalid ack: ${ack.error.message}`);
          seen.push(ack.value.seq);
          for (const s of ack.value.seqs ?? []) named[i]!.add(s);
          if (named[i]!.size === 100) resolve();
        });
      });
      return seen;
    });
    const batchesBefore = ingestor.stats.batches;
    await Promise.all(
      clients.flatMap((c, i) =>
        Array.from({ length: 100 }, (_, n) =>
          c.publishAsync(
            topic(ids[i]!, 'telemetry'),
            JSON.stringify(clsReport(ids[i]!, n + 1, clsWindowProfile(n))),
            {
              qos: 1,
            },
          ),
        ),
      ),
    );
    const seen = await Promise.all(lastAcks);
    for (const s of seen) expect(Math.max(...s)).toBe(100);
    for (const n of named)
      expect([...n].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Acks are coalesced per batch: far fewer than one per report.
    expect(seen.flat().length).toBeLessThan(200);
    expect(ingestor.stats.batches - batchesBefore).toBeLessThan(100);
    const total = database.db
      .select({
        reports: sql<number>`sum(${schema.telemetryAggregates.reports})`,
        inferences: sql<number>`sum(${schema.telemetryAggregates.inferences})`,
      })
      .from(schema.telemetryAggregates)
      .where(sql`${schema.telemetryAggregates.sourceId} in ('d3', 'd4')`)
      .get();
    expect(total).toEqual({ reports: 200, inferences: 200 * 60 });
    await Promise.all(clients.map((c) => c.endAsync(true)));
  });

  it('stores but does not merge a report under another spec hash, and counts it', async () => {
    const d1 = await device('d1');
    const other = clsWindowProfile(9);
    const json = clsReport('d1', 2, other);
    const foreign = {
      ...json,
      specHash: 'f'.repeat(16),
      profile: { ...json.profile, specHash: 'f'.repeat(16) },
    };
    const acks = collectMessages(d1, 1);
    await d1.publishAsync(topic('d1', 'telemetry'), JSON.stringify(foreign), { qos: 1 });
    expect(parseAck((await acks)[0]!).seq).toBe(2);
    expect(rowsOf('d1').find((r) => r.seq === 2)?.status).toBe('spec_mismatch');
    expect(ingestor.stats.specMismatches).toBe(1);
    const agg = database.db
      .select()
      .from(schema.telemetryAggregates)
      .where(eq(schema.telemetryAggregates.sourceId, 'd1'))
      .all();
    expect(agg.map((a) => a.reports)).toEqual([1]);
    await d1.endAsync(true);
  });

  it('stores app telemetry under the app, separate from devices', async () => {
    const browser = await connectClient(broker.tcpPort!, {
      clientId: 'app:web:b-1',
      username: 'app:web',
      password: 'pk',
    });
    // A browser that claims a device's client id cannot touch that device's sequence numbers.
    await browser.publishAsync(
      `ef/v1/${fleet}/app/web/telemetry`,
      JSON.stringify(clsReport('d1', 1, clsWindowProfile(3))),
      {
        qos: 1,
      },
    );
    await sleep(100);
    const rows = rowsOf('d1').filter((r) => r.seq === 1);
    expect(rows.map((r) => [r.scope, r.sourceId]).sort()).toEqual([
      ['app', 'web'],
      ['dev', 'd1'],
    ]);
    await browser.endAsync(true);
  });

  it('rejects hostile payloads, counts them, stores nothing and keeps serving', async () => {
    const d1 = await device('d1');
    const before = rowsOf('d1').length;
    const rejectedBefore = { ...ingestor.stats.rejected };
    const valid = clsReport('d1', 50, clsWindowProfile(50));
    const hostile: (string | Buffer)[] = [
      '{not json',
      Buffer.from([0xff, 0xfe, 0x00]),
      JSON.stringify({ ...valid, seq: -1 }),
      JSON.stringify({ ...valid, v: 99 }),
      JSON.stringify({ ...valid, profile: { ...valid.profile, inputs: [] } }),
      JSON.stringify({ ...valid, clientId: 'd2' }),
      JSON.stringify({ ...valid, runtime: { backend: 'cpu', threads: 1, adapter: 'x'.repeat(300_000) } }),
      '[]',
      'null',
      `${'['.repeat(100_000)}`,
    ];
    for (const payload of hostile) await d1.publishAsync(topic('d1', 'telemetry'), payload, { qos: 1 });
    // The same on the app topic, from a browser (every payload but the device-id one is refused there too).
    const browser = await connectClient(broker.tcpPort!, {
      clientId: 'app:web:b-2',
      username: 'app:web',
      password: 'pk',
    });
    const appHostile = hostile.filter((_, i) => i !== 5);
    for (const payload of appHostile)
      await browser.publishAsync(`ef/v1/${fleet}/app/web/telemetry`, payload, { qos: 1 });
    await browser.endAsync(true);
    await sleep(100);
    expect(rowsOf('d1').length).toBe(before);
    const delta = (k: keyof typeof ingestor.stats.rejected) =>
      (ingestor.stats.rejected[k] ?? 0) - (rejectedBefore[k] ?? 0);
    expect(delta('invalid_json')).toBeGreaterThanOrEqual(2);
    expect(delta('client_mismatch')).toBe(1);
    expect(delta('unsupported_version')).toBe(2);
    expect(delta('too_large')).toBe(2);
    const total = Object.values(ingestor.stats.rejected).reduce((a, b) => a + (b ?? 0), 0);
    const totalBefore = Object.values(rejectedBefore).reduce((a, b) => a + (b ?? 0), 0);
    expect(total - totalBefore).toBe(hostile.length + appHostile.length);
    const appRows = database.db
      .select()
      .from(schema.telemetryReports)
      .where(eq(schema.telemetryReports.scope, 'app'))
      .all();
    expect(appRows.filter((r) => r.seq === 50)).toEqual([]);
    // Still serving: a valid report goes through and is acked.
    const acks = collectMessages(d1, 1);
    await d1.publishAsync(topic('d1', 'telemetry'), JSON.stringify(valid), { qos: 1 });
    expect(parseAck((await acks)[0]!).seq).toBe(50);
    await d1.endAsync(true);
  });

  it('keeps the spec the reports were checked against', () => {
    expect(dbSpecResolver(database.db).baselineOf('cls', '1.0.0')?.spec).toEqual(CLS_SPEC);
  });
});
