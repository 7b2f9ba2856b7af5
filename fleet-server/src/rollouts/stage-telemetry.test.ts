import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { createLogger } from '../logging';
import { dbSpecResolver } from '../models';
import { TelemetryIngestor } from '../telemetry';
import { CLS_SPEC, clsManifest, clsReport, insertClsVersion } from '../telemetry/fixtures';
import { isMember } from './assignment';
import { RolloutController, type RolloutPublisher } from './controller';
import type { GateValue } from './gates';
import { createRollout } from './service';
import { insertSimDevices, syntheticProfile } from './sim-fleet';
import { StageTelemetry } from './stage-telemetry';
import { auditOf, getRolloutRow, resolveDeviceTargets, rolloutOf } from './store';

// Gates read the raw reports of the stage (real SQLite, real ingestor): windows that began before the stage
// started are left out even within the same hour, and merges carry over between ticks only within a stage.

const MIN = 60_000;
const HOUR_10 = Date.UTC(2026, 10, 23, 10);
const logger = createLogger('silent');

let dir: string;
let database: FleetDatabase;
let clock: { nowMs: number };
let ingestor: TelemetryIngestor;
const seqs = new Map<string, number>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-stage-telemetry-'));
  database = openDatabase(dir);
  clock = { nowMs: HOUR_10 + 20 * MIN };
  for (const version of ['1.0.0', '2.0.0']) {
    insertClsVersion(database.db, version);
    database.db
      .update(schema.modelVersions)
      .set({ manifest: clsManifest(version), manifestSignature: '{}' })
      .where(eq(schema.modelVersions.version, version))
      .run();
  }
  insertSimDevices(database.db, 'd', 40, { site: 'a' }, clock.nowMs);
  insertSimDevices(database.db, 'x', 2, { site: 'b' }, clock.nowMs);
  ingestor = new TelemetryIngestor({ db: database.db, specs: dbSpecResolver(database.db), logger });
  seqs.clear();
});
afterEach(() => {
  ingestor.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes by writing the desired state, as device sessions do (applied at once). */
const publisher: RolloutPublisher = {
  async publishDesired(deviceId, input) {
    const d = schema.devices;
    database.db
      .update(d)
      .set({
        desiredState: input as never,
        desiredRev: sql`${d.desiredRev} + 1`,
        appliedRev: sql`${d.desiredRev} + 1`,
      })
      .where(eq(d.id, deviceId))
      .run();
  },
  async publishAppPlan() {},
};

/** Stores one window of `version` from `deviceId` starting at `startMs`. */
async function report(deviceId: string, version: string, startMs: number, latencyMs = 5, inferences = 100) {
  const seq = (seqs.get(deviceId) ?? 0) + 1;
  seqs.set(deviceId, seq);
  const profile = syntheticProfile(CLS_SPEC, { inferences, latencyMs }, seq);
  const submitted = ingestor.submit(
    { scope: 'dev', sourceId: deviceId },
    clsReport(deviceId, seq, profile, { startMs, version }),
  );
  ingestor.flush();
  expect((await submitted).status).toBe('stored');
}

const request = {
  model: 'cls',
  candidate: '2.0.0',
  baseline: '1.0.0',
  target: { selector: 'site=a' },
  strategy: 'canary' as const,
  stages: '100%:10m',
  minReportingTargets: 3,
  minInferences: 50,
  gates: { latencyP95Ms: 50 },
  onBreach: 'rollback' as const,
  maintenanceWindows: [],
  confidence: 0.99,
  onInconclusive: 'pause' as const,
};

function newController(stageRowBudget?: number) {
  return new RolloutController({
    ctx: { db: database.db, now: () => clock.nowMs, logger },
    specs: dbSpecResolver(database.db),
    tickMs: 60_000,
    stageRowBudget,
  });
}

async function startedRollout(
  overrides: {
    stages?: string;
    gates?: Record<string, number>;
    minReportingTargets?: number;
    minInferences?: number;
  } = {},
) {
  createRollout(
    { db: database.db, now: () => clock.nowMs },
    { ...request, ...overrides, id: 'r' },
    'admin:t',
  );
  const controller = newController();
  controller.start(publisher);
  await controller.tick();
  expect(getRolloutRow(database.db, 'r')).toMatchObject({ status: 'running', stageStartedAt: clock.nowMs });
  return controller;
}

describe('stage telemetry', () => {
  it('leaves out windows that began before the stage started in the same hour', async () => {
    const controller = await startedRollout();
    for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', HOUR_10 + 5 * MIN, 500); // before 10:20
    for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', HOUR_10 + 21 * MIN);
    clock.nowMs += 11 * MIN;
    await controller.tick();
    await controller.stop();
    const last = auditOf(database.db, 'r').at(-1)!;
    expect(last.event).toBe('completed');
    const p95 = (last.gates as GateValue[]).find((g) => g.gate === 'latency.p95Ms')!;
    expect(p95.status).toBe('pass');
    expect(p95.value).toBeLessThan(10);
  });

  it('counts windows that began after the stage started (slow ones roll it back)', async () => {
    const controller = await startedRollout();
    for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', HOUR_10 + 5 * MIN);
    for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', HOUR_10 + 20 * MIN, 500); // at 10:20
    clock.nowMs += MIN;
    await controller.tick();
    await controller.stop();
    const last = auditOf(database.db, 'r').at(-1)!;
    expect(last.event).toBe('rolled_back');
    expect(last.reason).toContain('latency.p95Ms');
  });

  it('merges members for the candidate and targets for the baseline, incrementally, within one stage only', async () => {
    const controller = await startedRollout({ stages: '50%:10m,100%', gates: { latencyP95Ratio: 2 } });
    await controller.stop();
    const rollout = rolloutOf(getRolloutRow(database.db, 'r'));
    const ids = resolveDeviceTargets(database.db, rollout.spec.target);
    const member = ids.find((id) => isMember(rollout, id))!;
    const outsider = ids.find((id) => !isMember(rollout, id))!;
    const start = rollout.state.stageStartedAt!;
    await report(member, '2.0.0', start + MIN);
    await report(member, '2.0.0', start - MIN); // before the stage
    await report(outsider, '2.0.0', start + MIN); // not in the stage
    await report(outsider, '1.0.0', start + MIN, 8);
    await report('x-00000', '1.0.0', start + MIN, 8); // not a target
    const telemetry = new StageTelemetry(database.db, dbSpecResolver(database.db));
    let stage = telemetry.read(rollout, ids, true);
    expect([stage.candidate?.reports, stage.candidate?.profile.inferences]).toEqual([1, 1000]); // 100 windows × 10 inputs observed apart
    expect([...(stage.baseline?.targets ?? [])]).toEqual([outsider]);

    await report(member, '2.0.0', start + 2 * MIN);
    stage = telemetry.read(rollout, ids, true);
    expect([stage.candidate?.reports, stage.candidate?.profile.inferences]).toEqual([2, 2000]);
    const rebuilt = new StageTelemetry(database.db, dbSpecResolver(database.db)).read(rollout, ids, true);
    expect(rebuilt.candidate?.profile.toJSON()).toEqual(stage.candidate?.profile.toJSON());
    expect(rebuilt.baseline?.reports).toBe(1);

    const next = { ...rollout, state: { ...rollout.state, stageIndex: 1, stageStartedAt: start + 3 * MIN } };
    // Nothing of the candidate since the new stage began; at 100% the baseline's window is the rollout's.
    const fresh = telemetry.read(next, ids, true);
    expect([fresh.candidate, fresh.baseline?.reports]).toEqual([null, 1]);
    await report(member, '2.0.0', start + 3 * MIN);
    expect(telemetry.read(next, ids, true).candidate?.reports).toBe(1);
  });

  it('rebuilds a stage over several reads within the row budget, then merges incrementally', async () => {
    const controller = await startedRollout({ gates: { latencyP95Ratio: 2 } });
    await controller.stop();
    const rollout = rolloutOf(getRolloutRow(database.db, 'r'));
    const ids = resolveDeviceTargets(database.db, rollout.spec.target);
    const start = rollout.state.stageStartedAt!;
    await report('x-00000', '2.0.0', start + MIN); // not a target: read, not merged
    for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', start + MIN, 5 + i);
    for (let i = 5; i < 7; i++) await report(`d-0000${i}`, '1.0.0', start + MIN, 8);
    await report('d-00000', '2.0.0', start - MIN); // before the stage
    const specs = dbSpecResolver(database.db);
    const onePass = () =>
      new StageTelemetry(database.db, specs, Number.POSITIVE_INFINITY).read(rollout, ids, true);
    const whole = onePass();
    expect([whole.catchingUp, whole.candidate?.reports, whole.baseline?.reports]).toEqual([false, 5, 2]);

    const telemetry = new StageTelemetry(database.db, specs, 3);
    const reads = [];
    let stage = telemetry.read(rollout, ids, true);
    reads.push(stage.catchingUp);
    while (stage.catchingUp) {
      stage = telemetry.read(rollout, ids, true);
      reads.push(stage.catchingUp);
    }
    expect(reads).toEqual([true, true, false]); // 8 rows of the stage by 3 (the early window is not read)
    expect(stage.candidate?.profile.toJSON()).toEqual(whole.candidate?.profile.toJSON());
    expect(stage.baseline?.profile.toJSON()).toEqual(whole.baseline?.profile.toJSON());
    expect([...(stage.candidate?.targets ?? [])].sort()).toEqual(
      [...(whole.candidate?.targets ?? [])].sort(),
    );

    await report('d-00005', '2.0.0', start + 2 * MIN);
    await report('d-00007', '1.0.0', start + 2 * MIN, 8);
    stage = telemetry.read(rollout, ids, true);
    expect([stage.catchingUp, stage.candidate?.reports, stage.baseline?.reports]).toEqual([false, 6, 3]);
    const again = onePass();
    expect(stage.candidate?.profile.toJSON()).toEqual(again.candidate?.profile.toJSON());
    expect(stage.baseline?.profile.toJSON()).toEqual(again.baseline?.profile.toJSON());

    // Once caught up, a burst over the budget is read whole: a fleet that steadily sends more than the
    // budget per tick must not stay "catching up" forever.
    for (let i = 10; i < 14; i++) await report(`d-000${i}`, '2.0.0', start + 3 * MIN);
    const burst = telemetry.read(rollout, ids, true);
    expect([burst.catchingUp, burst.candidate?.reports]).toEqual([false, 10]);
  });

  it('continues a persisted merge after a restart, reading only the reports stored since, even once retention deleted the rest', async () => {
    const controller = await startedRollout({ gates: { latencyP95Ratio: 2 } });
    await controller.stop();
    const rollout = rolloutOf(getRolloutRow(database.db, 'r'));
    const ids = resolveDeviceTargets(database.db, rollout.spec.target);
    const start = rollout.state.stageStartedAt!;
    for (let i = 0; i < 6; i++) await report(`d-0000${i}`, '2.0.0', start + MIN, 5 + i);
    for (let i = 6; i < 9; i++) await report(`d-0000${i}`, '1.0.0', start + MIN, 8);
    const specs = dbSpecResolver(database.db);
    const persist = { now: () => clock.nowMs };
    const before = new StageTelemetry(database.db, specs, 1_000, undefined, persist).read(rollout, ids, true);
    const saved = database.db.select().from(schema.rolloutStageMerges).all();
    expect(saved.map((r) => r.rolloutId)).toEqual(['r']);

    // The raw reports merged so far are gone (as after retention): a rebuild could not find them, a restart need not.
    database.db.delete(schema.telemetryReports).run();
    await report('d-00002', '2.0.0', start + 2 * MIN, 7);
    await report('d-00007', '1.0.0', start + 2 * MIN, 8);
    const restarted = new StageTelemetry(database.db, specs, 1_000, undefined, persist);
    const after = restarted.read(rollout, ids, true);
    expect([after.candidate?.reports, after.baseline?.reports]).toEqual([
      (before.candidate?.reports ?? 0) + 1,
      (before.baseline?.reports ?? 0) + 1,
    ]);
    expect(after.candidate?.profile.inferences).toBe((before.candidate?.profile.inferences ?? 0) + 1000);
    expect([...(after.candidate?.targets ?? [])].sort()).toEqual(
      [...(before.candidate?.targets ?? [])].sort(),
    );
    // Without the saved merge, a new instance sees only what is still stored.
    const unsaved = new StageTelemetry(database.db, specs, 1_000).read(rollout, ids, true);
    expect(unsaved.candidate?.reports).toBe(1);

    // Another target set is another merge: the saved one is not used for it.
    const fewer = ids.slice(1);
    const changed = new StageTelemetry(database.db, specs, 1_000, undefined, persist).read(
      rollout,
      fewer,
      true,
    );
    expect(changed.candidate?.reports ?? 0).toBeLessThanOrEqual(1);
    // A finished rollout's saved merge is forgotten.
    restarted.retain(new Set());
    expect(database.db.select().from(schema.rolloutStageMerges).all()).toEqual([]);
  });

  for (const [slow, outcome] of [
    [500, 'rolled_back'],
    [5, 'completed'],
  ] as const) {
    it(`neither advances nor rolls back while catching up after a restart (${outcome} once caught up)`, async () => {
      const first = await startedRollout({ minReportingTargets: 1, minInferences: 1 });
      await first.stop();
      const start = getRolloutRow(database.db, 'r').stageStartedAt!;
      for (let i = 0; i < 5; i++) await report(`d-0000${i}`, '2.0.0', start + MIN, slow);
      clock.nowMs += 11 * MIN; // past the stage's duration: a pass would complete it, a breach roll it back
      const restarted = newController(2); // 5 rows: two reads of 2 hit the budget, the third catches up
      for (let tick = 0; tick < 2; tick++) {
        await restarted.tick();
        expect(getRolloutRow(database.db, 'r').status).toBe('running');
        expect(auditOf(database.db, 'r').at(-1)!.event).toBe('started');
      }
      await restarted.tick();
      await restarted.stop();
      expect(getRolloutRow(database.db, 'r').status).toBe(outcome);
      const last = auditOf(database.db, 'r').at(-1)!;
      expect(last.event).toBe(outcome);
      const p95 = (last.gates as GateValue[]).find((g) => g.gate === 'latency.p95Ms')!;
      expect(p95.status).toBe(slow > 50 ? 'breach' : 'pass');
    });
  }
});

describe('stage telemetry of a web app', () => {
  it('caps the inferences one browser client id carries in a cohort (a publishable key is anyone’s)', async () => {
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
    createRollout(
      { db: database.db, now: () => clock.nowMs },
      { ...request, id: 'web', target: { app: 'shop' }, stages: '100%:10m' },
      'admin:t',
    );
    const controller = newController();
    controller.start(publisher);
    await controller.tick();
    const rollout = rolloutOf(getRolloutRow(database.db, 'web'));
    const appReport = async (clientId: string, inferences: number, latencyMs: number) => {
      const seq = (seqs.get(clientId) ?? 0) + 1;
      seqs.set(clientId, seq);
      const profile = syntheticProfile(CLS_SPEC, { inferences, latencyMs }, seq);
      const submitted = ingestor.submit(
        { scope: 'app', sourceId: 'shop' },
        clsReport(clientId, seq, profile, { startMs: clock.nowMs + seq, version: '2.0.0' }),
      );
      ingestor.flush();
      expect((await submitted).status).toBe('stored');
    };
    // Five invented clients posting slow windows as fast as they can; twenty real ones at 5 ms.
    for (let round = 0; round < 10; round++)
      for (let f = 0; f < 5; f++) await appReport(`fake-${f}`, 40, 900); // 400 inferences a window
    for (let c = 0; c < 20; c++) for (let round = 0; round < 3; round++) await appReport(`web-${c}`, 10, 5); // 100
    const capped = new StageTelemetry(
      database.db,
      dbSpecResolver(database.db),
      Number.POSITIVE_INFINITY,
      1000,
    );
    const merged = capped.read(rollout, [], false).candidate!;
    // Each fake keeps 2 of its 10 windows (800 ≤ 1000); each real client all 3.
    expect(merged.profile.inferences).toBe(5 * 800 + 20 * 300);
    const uncapped = new StageTelemetry(
      database.db,
      dbSpecResolver(database.db),
      Number.POSITIVE_INFINITY,
      1e12,
    );
    expect(uncapped.read(rollout, [], false).candidate!.profile.inferences).toBe(5 * 4000 + 20 * 300);
    // The fakes' share of the cohort falls from 77 % to 40 %: p50 latency stays the real clients'.
    expect(merged.profile.latency.total.quantile(0.5)).toBeLessThan(50);
    await controller.stop();
  });
});
