import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketOf, type DesiredStateInput } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { createLogger } from '../logging';
import { dbSpecResolver } from '../models';
import { clsManifest, insertClsVersion } from '../telemetry/fixtures';
import { RolloutController, type RolloutPublisher } from './controller';
import { createRollout, rolloutDetail } from './service';
import { insertSimDevices } from './sim-fleet';
import { auditOf, getRolloutRow } from './store';

// Issue 19 item 10 and issue 13's applyTimeoutMs, on a real SQLite file with a publisher that stamps issuedAt as
// the real one does (no broker): targets that never answer, and a stage no target falls in.

let dir: string;
let database: FleetDatabase;
let clock: { nowMs: number };

class StampingPublisher implements RolloutPublisher {
  published: string[] = [];
  async publishDesired(deviceId: string, input: DesiredStateInput) {
    const d = schema.devices;
    const row = database.db.select({ rev: d.desiredRev }).from(d).where(eq(d.id, deviceId)).get()!;
    const desired = { ...input, v: 1, deviceId, rev: row.rev + 1, issuedAt: clock.nowMs };
    database.db
      .update(d)
      .set({ desiredState: desired as never, desiredRev: row.rev + 1 })
      .where(eq(d.id, deviceId))
      .run();
    this.published.push(deviceId);
  }
  async publishAppPlan() {}
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-rollout-faults-'));
  database = openDatabase(dir);
  clock = { nowMs: Date.UTC(2026, 10, 23, 10) };
  for (const version of ['1.0.0', '2.0.0']) {
    insertClsVersion(database.db, version);
    database.db
      .update(schema.modelVersions)
      .set({ manifest: clsManifest(version), manifestSignature: '{}' })
      .where(eq(schema.modelVersions.version, version))
      .run();
  }
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = () => ({ db: database.db, now: () => clock.nowMs });
const controller = () =>
  new RolloutController({
    ctx: { ...ctx(), logger: createLogger('silent') },
    specs: dbSpecResolver(database.db),
    tickMs: 60_000,
  });
const request = {
  model: 'cls',
  candidate: '2.0.0',
  baseline: '1.0.0',
  target: { selector: 'site=a' },
  strategy: 'canary' as const,
  minReportingTargets: 0,
  minInferences: 0,
  gates: {},
  onBreach: 'rollback' as const,
  confidence: 0.99,
  onInconclusive: 'pause' as const,
  maintenanceWindows: [],
};

describe('rollout faults', () => {
  it('a target that neither applies nor reports a failure within applyTimeoutMs counts as failed (timed_out), and the rollout treats it so', async () => {
    insertSimDevices(database.db, 'd', 40, { site: 'a' }, clock.nowMs);
    createRollout(
      ctx(),
      { ...request, id: 'slow', stages: '25%:1h,100%', applyTimeoutMs: 5 * 60_000 },
      'admin:t',
    );
    const publisher = new StampingPublisher();
    const c = controller();
    c.start(publisher);
    await c.tick();
    const members = publisher.published.length;
    expect(members).toBeGreaterThan(0);
    // Within the timeout the silent targets are switching.
    clock.nowMs += 4 * 60_000;
    await c.tick();
    let detail = rolloutDetail(ctx(), getRolloutRow(database.db, 'slow'));
    expect(detail.targets.byState.switching).toBe(members);
    expect(detail.status).toBe('running');
    // Past it: failed with the reason, and the apply-failure gate acts on them.
    clock.nowMs += 2 * 60_000;
    detail = rolloutDetail(ctx(), getRolloutRow(database.db, 'slow'));
    expect(detail.applyTimeoutMs).toBe(300_000);
    expect(detail.targets.byState.failed).toBe(members);
    expect(detail.targets.failures[0]?.error).toMatch(
      /^timed_out: neither applied nor reported a failure within 300 s of the desired state \(rev 1\)$/,
    );
    await c.tick();
    await c.stop();
    const last = auditOf(database.db, 'slow').at(-1)!;
    expect(last.event).toBe('rolled_back');
    expect(last.reason).toMatch(/applyFailureShare/);
  });

  it('the default apply timeout is 15 minutes', () => {
    insertSimDevices(database.db, 'd', 2, { site: 'a' }, clock.nowMs);
    createRollout(ctx(), { ...request, id: 'dflt', stages: '100%' }, 'admin:t');
    expect(rolloutDetail(ctx(), getRolloutRow(database.db, 'dflt')).applyTimeoutMs).toBe(900_000);
  });

  it('item 10: a canary stage no target falls in says "stage is empty" and moves on', async () => {
    const ids = insertSimDevices(database.db, 'e', 5, { site: 'a' }, clock.nowMs);
    // A salt that puts every bucket above 50 % (as in the issue).
    let salt = 0;
    while (!ids.every((id) => bucketOf(id, `s${salt}`) >= 5_000)) salt++;
    createRollout(ctx(), { ...request, id: 'empty', salt: `s${salt}`, stages: '50%:30m,100%' }, 'admin:t');
    const publisher = new StampingPublisher();
    const c = controller();
    c.start(publisher);
    await c.tick(); // started
    await c.tick(); // the empty stage is noticed at once, not after its 30 minutes
    await c.stop();
    const audit = auditOf(database.db, 'empty');
    expect(audit.map((e) => e.event)).toEqual(['created', 'started', 'advanced']);
    expect(audit[2]!.reason).toBe(
      'stage 1 (50%) is empty: none of the 5 targets falls in it; moving on to stage 2',
    );
    expect(publisher.published).toHaveLength(5);
  });
});
