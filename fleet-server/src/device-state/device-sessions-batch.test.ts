import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredState, DesiredStateInput } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { NotFound } from '../errors';
import { type EmbeddedBroker, startBroker } from '../mqtt/broker';
import { createEmbeddedLink } from '../mqtt/link';
import { staticBrokerAuth } from '../mqtt/principal';
import { collectMessages, connectClient, sleep, waitFor } from '../mqtt/test-clients';
import { DeviceSessions } from './device-sessions';

// The batched paths of DeviceSessions on a real broker and SQLite file: publishDesiredMany (one transaction per
// chunk) and presence/reported messages written per event-loop turn.

const fleet = 'fb';
const topic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
const devices = Object.fromEntries(ids.map((id) => [id, `t-${id}`]));

let dir: string;
let database: FleetDatabase;
let broker: EmbeddedBroker;
let sessions: DeviceSessions;
const clients: MqttClient[] = [];

const input = (shadowSampleRate = 0): DesiredStateInput => ({
  models: { active: null, shadow: null, standby: null },
  telemetry: { windowMs: 60_000, maxInFlight: 8, outboxMaxReports: 10_000 },
  policies: { golden: 'if_present', shadowSampleRate },
});
const row = (id: string) => database.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get()!;
const connect = async (id: string) => {
  const client = await connectClient(broker.tcpPort!, { clientId: id, username: id, password: devices[id] });
  clients.push(client);
  return client;
};
const report = (deviceId: string, type: 'hello' | 'state', epoch: number, appliedRev: number) =>
  Buffer.from(
    JSON.stringify({
      type,
      v: 1,
      deviceId,
      epoch,
      appliedRev,
      agentVersion: '0.1.0',
      at: Date.now(),
      ...(type === 'hello' ? { capabilities: { platform: 'node', backends: ['cpu'] } } : {}),
      running: { active: null, shadow: null, standby: null },
      ...(type === 'state' ? { errors: [] } : {}),
    }),
  );
const presence = (status: 'online' | 'offline', epoch: number, at: number) =>
  Buffer.from(JSON.stringify({ v: 1, status, epoch, at }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-sessions-batch-'));
  database = openDatabase(dir);
  for (const id of ids) {
    database.db.insert(schema.devices).values({ id, tokenHash: 'x', labels: {}, createdAt: 0 }).run();
  }
  broker = await startBroker({ fleet, auth: staticBrokerAuth({ devices }) });
  sessions = new DeviceSessions({
    link: createEmbeddedLink(broker.aedes),
    fleet,
    db: database.db,
    desiredChunkSize: 2,
  });
  await sessions.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  database.sqlite.exec('drop trigger if exists fail_desired; drop trigger if exists fail_reported');
});

afterAll(async () => {
  await sessions?.stop();
  await broker?.close();
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('publishDesiredMany', () => {
  it('stores and publishes each entry in order, one rev per entry, one result per entry', async () => {
    const before = ids.map((id) => row(id).desiredRev);
    const b1 = await connect('b1');
    await b1.subscribeAsync(topic('b1', 'desired'), { qos: 1 });
    const got = collectMessages(b1, 2, 3_000, topic('b1', 'desired'));
    const results = await sessions.publishDesiredMany([
      { deviceId: 'b1', input: input(0.1) },
      { deviceId: 'b2', input: input(0.1) },
      { deviceId: 'b1', input: input(0.2) }, // the same device twice: two revs, the later one wins
      { deviceId: 'b3', input: input(0.1) },
    ]);
    expect(results.map((r) => [r.deviceId, r.ok && r.rev])).toEqual([
      ['b1', before[0]! + 1],
      ['b2', before[1]! + 1],
      ['b1', before[0]! + 2],
      ['b3', before[2]! + 1],
    ]);
    const seen = (await got).map((m) => JSON.parse(m.payload.toString()) as DesiredState);
    expect(seen.map((s) => [s.rev, s.policies.shadowSampleRate])).toEqual([
      [before[0]! + 1, 0.1],
      [before[0]! + 2, 0.2],
    ]);
    expect(row('b1')).toMatchObject({ desiredRev: before[0]! + 2, desiredState: seen[1] });
  });

  it('keeps revs strictly increasing per device, stored and on the wire, under concurrent calls', async () => {
    const watched = ['b4', 'b5'];
    const start = new Map(watched.map((id) => [id, row(id).desiredRev]));
    const revsSeen = new Map<string, number[]>(watched.map((id) => [id, []]));
    for (const id of watched) {
      const client = await connect(id);
      await client.subscribeAsync(topic(id, 'desired'), { qos: 1 });
      await sleep(30); // any retained copy first
      client.on('message', (_t, p) => revsSeen.get(id)!.push((JSON.parse(p.toString()) as DesiredState).rev));
    }
    // Five callers at once, each with several chunks (chunk size 2): their transactions and publishes interleave.
    const calls = Array.from({ length: 5 }, (_, k) =>
      sessions.publishDesiredMany(
        [...watched, 'b6', ...watched].map((deviceId) => ({ deviceId, input: input(k / 10) })),
      ),
    );
    const results = (await Promise.all(calls)).flat();
    expect(results.every((r) => r.ok)).toBe(true);
    for (const id of watched) {
      const revs = results.filter((r) => r.deviceId === id).map((r) => (r.ok ? r.rev : 0));
      const from = start.get(id)!;
      expect([...revs].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => from + i + 1));
      await waitFor(() => revsSeen.get(id)!.length === 10);
      const wire = revsSeen.get(id)!;
      expect(wire).toEqual([...wire].sort((a, b) => a - b)); // delivered in rev order
      expect(new Set(wire).size).toBe(10);
      expect(row(id).desiredRev).toBe(from + 10);
      expect((row(id).desiredState as DesiredState).rev).toBe(from + 10);
    }
    // What a device that missed them all gets: the retained copy is the newest rev.
    database.db.update(schema.devices).set({ appliedRev: 0 }).where(eq(schema.devices.id, 'b4')).run();
    const late = await connect('b4');
    const retained = collectMessages(late, 1, 3_000, topic('b4', 'desired'));
    await late.subscribeAsync(topic('b4', 'desired'), { qos: 1 });
    expect(JSON.parse((await retained)[0]!.payload.toString()).rev).toBe(start.get('b4')! + 10);
  });

  it('fails only the bad entries of a chunk, and the whole chunk whose transaction fails', async () => {
    const before = Object.fromEntries(ids.map((id) => [id, row(id).desiredRev]));
    // A storage failure on b4's update: its chunk (b4, b5) is rolled back; b6 in the next chunk goes on.
    database.sqlite.exec(`create trigger fail_desired before update of desired_rev on devices
      when new.id = 'b4' begin select raise(abort, 'disk on fire'); end`);
    const b5 = await connect('b5');
    const got: number[] = [];
    await b5.subscribeAsync(topic('b5', 'desired'), { qos: 1 });
    await sleep(30);
    b5.on('message', (_t, p) => got.push(JSON.parse(p.toString()).rev));
    const bad = { ...input(), telemetry: { ...input().telemetry, windowMs: 1 } };
    const results = await sessions.publishDesiredMany([
      { deviceId: 'b1', input: input() },
      { deviceId: 'nope', input: input() }, // unknown: fails alone
      { deviceId: 'b2', input: bad }, // invalid: fails alone
      { deviceId: 'b3', input: input() },
      { deviceId: 'b4', input: input() }, // storage failure …
      { deviceId: 'b5', input: input() }, // … takes its chunk with it
      { deviceId: 'b6', input: input() },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true, false, false, true]);
    expect(!results[1]!.ok && results[1]!.error).toBeInstanceOf(NotFound);
    expect(!results[2]!.ok && String(results[2]!.error)).toMatch(/windowMs/);
    expect(!results[4]!.ok && String(results[4]!.error)).toMatch(/disk on fire/);
    expect(!results[5]!.ok && String(results[5]!.error)).toMatch(/disk on fire/);
    const after = Object.fromEntries(ids.map((id) => [id, row(id).desiredRev]));
    expect(after).toEqual({
      ...before,
      b1: before.b1! + 1,
      b3: before.b3! + 1,
      b6: before.b6! + 1,
    });
    await sleep(100);
    expect(got).toEqual([]); // nothing published for a rolled-back chunk
    // publishDesired keeps its contract on top of it.
    await expect(sessions.publishDesired('b4', input())).rejects.toThrow(/disk on fire/);
    await expect(sessions.publishDesired('nope', input())).rejects.toThrow(/no device/);
  });
});

describe('batched presence and reports', () => {
  it('writes the messages of one turn in arrival order', async () => {
    const t = topic('b2', 'reported');
    const epoch = row('b2').epoch + 1;
    const written = [
      sessions.onReported(t, report('b2', 'hello', epoch, 0)),
      sessions.onReported(t, report('b2', 'state', epoch, 1)),
      sessions.onReported(t, report('b2', 'state', epoch, 2)),
      // The connection died right after: its last will (same epoch) comes in the same turn.
      sessions.onPresence(topic('b2', 'presence'), presence('offline', epoch, Date.now())),
    ];
    expect(row('b2').appliedRev).not.toBe(2); // not written before the turn ends
    await Promise.all(written);
    expect(row('b2')).toMatchObject({ appliedRev: 2, epoch, online: false });
    expect((row('b2').reportedState as { appliedRev: number }).appliedRev).toBe(2);
  });

  it('answers a hello from the stored desired state, byte for byte as published', async () => {
    const published = await sessions.publishDesired('b3', input(0.3));
    const b3 = await connect('b3');
    await b3.subscribeAsync(topic('b3', 'desired'), { qos: 1 });
    await sleep(30); // the retained copy
    const answer = collectMessages(b3, 1, 3_000, topic('b3', 'desired'));
    await b3.publishAsync(topic('b3', 'reported'), report('b3', 'hello', row('b3').epoch, 0), { qos: 1 });
    const [message] = await answer;
    expect(message!.payload.toString()).toBe(JSON.stringify(published));
  });

  it('rejects a turn whose transaction fails and stores none of it', async () => {
    const before = [row('b5'), row('b6')];
    database.sqlite.exec(`create trigger fail_reported before update of applied_rev on devices
      when new.id = 'b6' begin select raise(abort, 'disk on fire'); end`);
    const results = await Promise.allSettled([
      sessions.onReported(topic('b5', 'reported'), report('b5', 'state', before[0]!.epoch, 7)),
      sessions.onReported(topic('b6', 'reported'), report('b6', 'state', before[1]!.epoch, 7)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect([row('b5').appliedRev, row('b6').appliedRev]).toEqual([
      before[0]!.appliedRev,
      before[1]!.appliedRev,
    ]);
    database.sqlite.exec('drop trigger fail_reported');
    await sessions.onReported(topic('b5', 'reported'), report('b5', 'state', before[0]!.epoch, 7));
    expect(row('b5').appliedRev).toBe(7);
  });
});
