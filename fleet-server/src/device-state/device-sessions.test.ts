import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredState, DesiredStateInput } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { type EmbeddedBroker, startBroker } from '../mqtt/broker';
import { createEmbeddedLink } from '../mqtt/link';
import { staticBrokerAuth } from '../mqtt/principal';
import { collectMessages, connectClient, sleep, waitFor } from '../mqtt/test-clients';
import { DeviceSessions } from './device-sessions';

const fleet = 'f1';
const topic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const devices: Record<string, string> = { d1: 't1', d2: 't2', d3: 't3', d4: 't4' };

let dir: string;
let database: FleetDatabase;
let broker: EmbeddedBroker;
let sessions: DeviceSessions;

const desiredInput: DesiredStateInput = {
  models: { active: null, shadow: null, standby: null },
  telemetry: { windowMs: 60_000, maxInFlight: 8, outboxMaxReports: 10_000 },
  policies: { golden: 'if_present', shadowSampleRate: 0 },
};

const hello = (deviceId: string, epoch: number, appliedRev: number) =>
  JSON.stringify({
    type: 'hello',
    v: 1,
    deviceId,
    epoch,
    appliedRev,
    agentVersion: '0.1.0',
    at: Date.now(),
    capabilities: { platform: 'node', backends: ['cpu'] },
    running: { active: null, shadow: null, standby: null },
  });
/** A connection's `online` and its last will carry the same `at`: the time the connection was opened. */
const presence = (status: 'online' | 'offline', epoch: number, at = 1_700_000_000_000) =>
  JSON.stringify({ v: 1, status, epoch, at });

const deviceRow = (id: string) =>
  database.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get()!;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-sessions-'));
  database = openDatabase(dir);
  for (const id of Object.keys(devices)) {
    database.db
      .insert(schema.devices)
      .values({ id, tokenHash: 'x', labels: {}, createdAt: Date.now() })
      .run();
  }
  broker = await startBroker({ fleet, auth: staticBrokerAuth({ devices, apps: { shop: 'pk' } }) });
  sessions = new DeviceSessions({ link: createEmbeddedLink(broker.aedes), fleet, db: database.db });
  await sessions.start();
});

afterAll(async () => {
  await sessions?.stop();
  await broker?.close();
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const connect = (id: string, extra = {}) =>
  connectClient(broker.tcpPort!, { clientId: id, username: id, password: devices[id], ...extra });

describe('desired state', () => {
  it('publishes retained desired states with a rising rev stored in the database', async () => {
    const first = await sessions.publishDesired('d1', desiredInput);
    const second = await sessions.publishDesired('d1', {
      ...desiredInput,
      policies: { golden: 'required', shadowSampleRate: 0 },
    });
    expect([first.rev, second.rev]).toEqual([1, 2]);
    expect(deviceRow('d1').desiredRev).toBe(2);
    const d1 = await connect('d1');
    const got = collectMessages(d1, 1, 3_000, topic('d1', 'desired'));
    await d1.subscribeAsync(topic('d1', 'desired'), { qos: 1 });
    const retained = JSON.parse((await got)[0]!.payload.toString()) as DesiredState;
    expect(retained).toMatchObject({ rev: 2, deviceId: 'd1', policies: { golden: 'required' } });
    await d1.endAsync(true);
  });

  it('refuses unknown devices and states that fail the schema', async () => {
    await expect(sessions.publishDesired('nope', desiredInput)).rejects.toThrow(/no device/);
    await expect(
      sessions.publishDesired('d1', {
        ...desiredInput,
        telemetry: { ...desiredInput.telemetry, windowMs: 1 },
      }),
    ).rejects.toThrow(/windowMs/);
    expect(deviceRow('d1').desiredRev).toBe(2);
  });

  it('answers a hello from an older rev with the current desired state, and not a current one', async () => {
    const d1 = await connect('d1');
    await d1.subscribeAsync(topic('d1', 'desired'), { qos: 1 });
    await sleep(50); // the retained copy arrives first
    const answers: DesiredState[] = [];
    d1.on('message', (_t, p) => answers.push(JSON.parse(p.toString())));
    await d1.publishAsync(topic('d1', 'reported'), hello('d1', 1, 1), { qos: 1 });
    await waitFor(() => answers.length === 1);
    expect(answers[0]!.rev).toBe(2);
    await d1.publishAsync(topic('d1', 'reported'), hello('d1', 1, 2), { qos: 1 });
    await sleep(100);
    expect(answers).toHaveLength(1);
    expect(deviceRow('d1')).toMatchObject({ appliedRev: 2, online: true, epoch: 1 });
    expect(sessions.stats.desiredResent).toBe(1);
    await d1.endAsync(true);
  });
});

describe('app plan', () => {
  it('publishes one retained plan per app with a rising rev', async () => {
    database.db
      .insert(schema.apps)
      .values({ id: 'shop', name: 'shop', publishableKey: 'pk', allowedOrigins: [], createdAt: 0 })
      .run();
    const input = { models: [], telemetry: desiredInput.telemetry, policies: desiredInput.policies };
    await sessions.publishAppPlan('shop', input);
    const second = await sessions.publishAppPlan('shop', input);
    expect(second).toMatchObject({ rev: 2, appId: 'shop' });
    const browser = await connectClient(broker.tcpPort!, {
      clientId: 'app:shop:b1',
      username: 'app:shop',
      password: 'pk',
    });
    const got = collectMessages(browser, 1, 3_000);
    await browser.subscribeAsync(`ef/v1/${fleet}/app/shop/desired`, { qos: 1 });
    expect(JSON.parse((await got)[0]!.payload.toString())).toMatchObject({ rev: 2 });
    await browser.endAsync(true);
    await expect(sessions.publishAppPlan('nope', input)).rejects.toThrow(/no app/);
  });
});

describe('presence', () => {
  it('marks a device online and offline by its last will', async () => {
    const d2 = await connect('d2', {
      will: { topic: topic('d2', 'presence'), payload: presence('offline', 4), qos: 1, retain: true },
    });
    await d2.publishAsync(topic('d2', 'presence'), presence('online', 4), { qos: 1, retain: true });
    await waitFor(() => deviceRow('d2').online === true);
    d2.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await waitFor(() => deviceRow('d2').online === false);
    expect(deviceRow('d2').epoch).toBe(4);
  });

  it('ignores a late last will from an older epoch', async () => {
    const old = await connect('d3', {
      will: { topic: topic('d3', 'presence'), payload: presence('offline', 1), qos: 1, retain: true },
    });
    await old.publishAsync(topic('d3', 'presence'), presence('online', 1), { qos: 1, retain: true });
    await waitFor(() => deviceRow('d3').online === true);
    // The device restarted (epoch 2) while the broker still held the dead connection of epoch 1.
    await sessions.onPresence(topic('d3', 'presence'), Buffer.from(presence('online', 2)));
    const staleBefore = sessions.stats.presenceStale;
    old.stream.destroy();
    await waitFor(() => sessions.stats.presenceStale > staleBefore);
    expect(deviceRow('d3')).toMatchObject({ online: true, epoch: 2 });
  });

  it('ignores the last will of a connection taken over within the same epoch, not the new one', async () => {
    const will = (at: number) => ({
      topic: topic('d4', 'presence'),
      payload: presence('offline', 7, at),
      qos: 1 as const,
      retain: true,
    });
    const t1 = 1_700_000_000_000;
    const t2 = t1 + 5_000;
    const first = await connect('d4', { will: will(t1) });
    await first.publishAsync(topic('d4', 'presence'), presence('online', 7, t1), { qos: 1, retain: true });
    await waitFor(() => deviceRow('d4').online === true);
    first.on('error', () => {});
    // The agent reconnects without restarting (same epoch); the broker takes the old session over and
    // publishes the old connection's will (aedes does so before the new CONNACK; clustered brokers may not).
    const appliedBefore = sessions.stats.presenceApplied;
    const second = await connect('d4', { will: will(t2) });
    await second.publishAsync(topic('d4', 'presence'), presence('online', 7, t2), { qos: 1, retain: true });
    await waitFor(() => deviceRow('d4').presenceAt === t2 && deviceRow('d4').online);
    // The old will arriving after the new `online` (byte for byte what the broker would publish).
    const staleBefore = sessions.stats.presenceStale;
    await second.publishAsync(topic('d4', 'presence'), presence('offline', 7, t1), { qos: 1 });
    await waitFor(() => sessions.stats.presenceStale === staleBefore + 1);
    expect(deviceRow('d4')).toMatchObject({ online: true, epoch: 7, presenceAt: t2 });
    expect(sessions.stats.presenceApplied).toBeGreaterThan(appliedBefore);
    // The new connection's own will still counts.
    second.stream.destroy();
    await waitFor(() => deviceRow('d4').online === false);
    expect(deviceRow('d4').epoch).toBe(7);
    await first.endAsync(true);
  });

  it('rejects hostile presence and reported payloads and changes nothing', async () => {
    const d1 = await connect('d1');
    const before = deviceRow('d1');
    const rejectedBefore = Object.values(sessions.stats.rejected).reduce((a, b) => a + b, 0);
    const payloads = [
      '{oops',
      'x'.repeat(40_000),
      JSON.stringify({ v: 1, status: 'sleeping', epoch: 9, at: 1 }),
      hello('d2', 9, 0), // another device's id in the body
      JSON.stringify({ type: 'hello', v: 2 }),
    ];
    for (const p of payloads) {
      await d1.publishAsync(topic('d1', 'presence'), p, { qos: 1 });
      await d1.publishAsync(topic('d1', 'reported'), p, { qos: 1 });
    }
    await sleep(100);
    const rejected = Object.values(sessions.stats.rejected).reduce((a, b) => a + b, 0);
    expect(rejected - rejectedBefore).toBe(payloads.length * 2);
    expect(sessions.stats.rejected.client_mismatch).toBe(1);
    const after = deviceRow('d1');
    expect({ ...after, lastSeenAt: 0 }).toEqual({ ...before, lastSeenAt: 0 });
    await d1.publishAsync(topic('d1', 'reported'), hello('d1', 1, 2), { qos: 1 });
    await waitFor(() => deviceRow('d1').reportedAt !== before.reportedAt);
    await d1.endAsync(true);
  });
});
