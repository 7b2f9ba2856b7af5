import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppPlanInput, DesiredStateInput } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { createLogger } from '../logging';
import { dbSpecResolver } from '../models';
import { clsManifest, insertClsVersion } from '../telemetry/fixtures';
import { RolloutController, type RolloutPublisher } from './controller';
import { createRollout } from './service';
import { insertSimDevices } from './sim-fleet';
import { auditOf, getRolloutRow } from './store';

// The adapter on a real SQLite file with a recording publisher (no broker): transactions, audit, restart safety.

class RecordingPublisher implements RolloutPublisher {
  desired: { deviceId: string; input: DesiredStateInput }[] = [];
  plans: { appId: string; input: AppPlanInput }[] = [];
  failFor = new Set<string>();
  constructor(private readonly database: FleetDatabase) {}
  async publishDesired(deviceId: string, input: DesiredStateInput) {
    if (this.failFor.has(deviceId)) throw new Error('broker down');
    const d = schema.devices;
    const row = this.database.db.select({ rev: d.desiredRev }).from(d).where(eq(d.id, deviceId)).get()!;
    this.database.db
      .update(d)
      .set({ desiredState: input as never, desiredRev: row.rev + 1 })
      .where(eq(d.id, deviceId))
      .run();
    this.desired.push({ deviceId, input });
  }
  async publishAppPlan(appId: string, input: AppPlanInput) {
    this.database.db
      .update(schema.apps)
      .set({ plan: input as never })
      .where(eq(schema.apps.id, appId))
      .run();
    this.plans.push({ appId, input });
  }
}

let dir: string;
let database: FleetDatabase;
let clock: { nowMs: number };
const logger = createLogger('silent');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-rollouts-'));
  database = openDatabase(dir);
  clock = { nowMs: Date.UTC(2026, 10, 23, 10) };
  insertClsVersion(database.db, '1.0.0');
  insertClsVersion(database.db, '2.0.0');
  // The fixture's manifest is empty and its signature not JSON; model refs need both.
  for (const version of ['1.0.0', '2.0.0']) {
    database.db
      .update(schema.modelVersions)
      .set({ manifest: clsManifest(version), manifestSignature: '{}' })
      .where(eq(schema.modelVersions.version, version))
      .run();
  }
  insertSimDevices(database.db, 'd', 40, { site: 'a' }, clock.nowMs);
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const controller = () =>
  new RolloutController({
    ctx: { db: database.db, now: () => clock.nowMs, logger },
    specs: dbSpecResolver(database.db),
    tickMs: 60_000,
  });
const ctx = () => ({ db: database.db, now: () => clock.nowMs });
const request = {
  model: 'cls',
  candidate: '2.0.0',
  baseline: '1.0.0',
  target: { selector: 'site=a' },
  strategy: 'canary' as const,
  stages: '25%:10m,100%',
  minReportingTargets: 0,
  minInferences: 0,
  gates: {},
  onBreach: 'rollback' as const,
  maintenanceWindows: [],
  confidence: 0.99,
  onInconclusive: 'pause' as const,
};

describe('RolloutController', () => {
  it('two controllers ticking at once make one transition and one audit row', async () => {
    const row = createRollout(ctx(), { ...request, id: 'r1', stages: '25%:10m,100%:10m' }, 'admin:t');
    const [a, b] = [controller(), controller()];
    const publisher = new RecordingPublisher(database);
    a.start(publisher);
    b.start(publisher);
    await Promise.all([a.tick(), b.tick()]);
    clock.nowMs += 10 * 60_000;
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.stop(), b.stop()]);
    expect(auditOf(database.db, row.id).map((e) => e.event)).toEqual(['created', 'started', 'advanced']);
    expect(getRolloutRow(database.db, row.id).version).toBe(3);
  });

  it('repairs a publish that failed after the commit on the next tick (no transition repeated)', async () => {
    createRollout(ctx(), { ...request, id: 'r2', stages: '100%:1h' }, 'admin:t');
    const publisher = new RecordingPublisher(database);
    publisher.failFor.add('d-00003');
    const c = controller();
    c.start(publisher);
    await c.tick();
    expect(publisher.desired).toHaveLength(39);
    publisher.failFor.clear();
    await c.tick();
    await c.stop();
    expect(publisher.desired.map((p) => p.deviceId)).toContain('d-00003');
    expect(publisher.desired).toHaveLength(40);
    expect(auditOf(database.db, 'r2').map((e) => e.event)).toEqual(['created', 'started']);
  });

  it('blue-green keeps the baseline as standby; rollback switches every target back and settles', async () => {
    createRollout(ctx(), { ...request, id: 'bg', strategy: 'blue-green', stages: '100%' }, 'admin:t');
    const publisher = new RecordingPublisher(database);
    const c = controller();
    c.start(publisher);
    await c.tick();
    const first = publisher.desired[0]!.input.models;
    expect([first.active?.manifest.version, first.standby?.manifest.version]).toEqual(['2.0.0', '1.0.0']);
    await c.act('bg', 'rollback', 'admin:t', 'operator saw misreads');
    const lastById = new Map(publisher.desired.map((p) => [p.deviceId, p.input]));
    expect(lastById.size).toBe(40);
    const stored = database.db.select().from(schema.devices).all();
    expect(
      stored.every((d) => (d.desiredState as { models: { standby: unknown } }).models.standby === null),
    ).toBe(true);
    expect(getRolloutRow(database.db, 'bg')).toMatchObject({
      status: 'rolled_back',
      settled: true,
      activeKey: null,
    });
    const entry = auditOf(database.db, 'bg').at(-1)!;
    expect(entry).toMatchObject({ event: 'rolled_back', actor: 'admin:t', reason: 'operator saw misreads' });
    await c.stop();
  });

  it('publishes one app plan for a web-app target, with the stage share for browsers to bucket against', async () => {
    database.db
      .insert(schema.apps)
      .values({
        id: 'shop',
        name: 'shop',
        publishableKey: 'efp_x',
        allowedOrigins: [],
        createdAt: clock.nowMs,
      })
      .run();
    createRollout(ctx(), { ...request, id: 'web', target: { app: 'shop' }, salt: 'web-salt' }, 'admin:t');
    const publisher = new RecordingPublisher(database);
    const c = controller();
    c.start(publisher);
    await c.tick();
    await c.tick(); // unchanged: no second plan
    await c.stop();
    expect(publisher.desired).toEqual([]);
    expect(publisher.plans).toHaveLength(1);
    expect(publisher.plans[0]!.input.models[0]!.candidate).toMatchObject({
      rolloutId: 'web',
      salt: 'web-salt',
      percent: 25,
    });
  });
});
