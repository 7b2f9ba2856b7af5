// Gate restart benchmark (issue 17): a canary stage of BENCH_STAGE_DEVICES devices (half candidate, half baseline)
// holding BENCH_STAGE_REPORTS realistic cls window reports (direct batched inserts). Measured in the same run:
// - server.gates.rebuild_s: merging the whole stage from its raw reports, as every restart did before the merge
//   was persisted (the controller's budgeted reads of 20,000 rows, until caught up);
// - server.gates.restart_catch_up_s: a restarted controller's StageTelemetry continuing the persisted merge after
//   one more minute of reports from every device, until caught up.
// Usage: tsx bench/gate-restart.ts  (env: BENCH_STAGE_REPORTS, BENCH_STAGE_DEVICES)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { openDatabase, schema } from '../src/db';
import { createLogger } from '../src/logging';
import { dbSpecResolver } from '../src/models/specs';
import { isMember } from '../src/rollouts/assignment';
import { RolloutController } from '../src/rollouts/controller';
import { createRollout } from '../src/rollouts/service';
import { insertSimDevices } from '../src/rollouts/sim-fleet';
import { StageTelemetry } from '../src/rollouts/stage-telemetry';
import { getRolloutRow, resolveDeviceTargets, rolloutOf } from '../src/rollouts/store';
import { clsManifest, clsWindowProfile, insertClsVersion } from '../src/telemetry/fixtures';

const REPORTS = Number(process.env.BENCH_STAGE_REPORTS ?? 1_000_000);
const DEVICES = Number(process.env.BENCH_STAGE_DEVICES ?? 1000);
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 10);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const dir = mkdtempSync(join(tmpdir(), 'ef-bench-gate-restart-'));
const database = openDatabase(dir);
try {
  const { db, sqlite } = database;
  const clock = { now: T0 };
  for (const version of ['1.0.0', '2.0.0']) {
    insertClsVersion(db, version);
    db.update(schema.modelVersions)
      .set({ manifest: clsManifest(version), manifestSignature: '{}' })
      .where(eq(schema.modelVersions.version, version))
      .run();
  }
  insertSimDevices(db, 'd', DEVICES, { site: 'a' }, T0);
  createRollout(
    { db, now: () => clock.now },
    {
      id: 'r',
      model: 'cls',
      candidate: '2.0.0',
      baseline: '1.0.0',
      target: { selector: 'site=a' },
      strategy: 'canary',
      stages: '50%:30d,100%',
      minReportingTargets: 3,
      minInferences: 50,
      gates: { latencyP95Ratio: 2 },
      onBreach: 'rollback',
      maintenanceWindows: [],
      confidence: 0.99,
      onInconclusive: 'pause',
    },
    'admin:bench',
  );
  const specs = dbSpecResolver(db);
  const controller = new RolloutController({
    ctx: { db, now: () => clock.now, logger: createLogger('silent') },
    specs,
    tickMs: 3_600_000,
  });
  controller.start({ async publishDesired() {}, async publishAppPlan() {} });
  await controller.tick();
  await controller.stop();
  const rollout = rolloutOf(getRolloutRow(db, 'r'));
  const ids = resolveDeviceTargets(db, rollout.spec.target);
  const member = new Set(ids.filter((id) => isMember(rollout, id)));
  const start = rollout.state.stageStartedAt!;

  const windows = Array.from({ length: 32 }, (_, i) =>
    JSON.stringify(clsWindowProfile(500 + i, 60).toJSON()),
  );
  const specHash = clsWindowProfile(1, 1).specHash;
  const insert =
    sqlite.prepare(`INSERT INTO telemetry_reports (scope, source_id, client_id, epoch, seq, model_name,
      model_version, role, window_start_ms, window_end_ms, spec_hash, status, inferences, errors, runtime, overflow,
      software, feedback, profile, received_at)
    VALUES ('dev', ?, ?, 1, ?, 'cls', ?, 'active', ?, ?, ?, 'merged', 60, 0, '{"backend":"cpu","threads":1}',
      '{"mergedWindows":0,"droppedReports":0,"droppedInferences":0}', NULL, NULL, ?, ?)`);
  const minuteOf = sqlite.transaction((m: number) => {
    for (const [d, id] of ids.entries()) {
      const startMs = start + m * MIN;
      const version = member.has(id) ? '2.0.0' : '1.0.0';
      insert.run(
        id,
        id,
        m + 1,
        version,
        startMs,
        startMs + MIN,
        specHash,
        windows[(d + m) % windows.length],
        startMs + MIN,
      );
    }
  });
  const minutes = Math.ceil(REPORTS / ids.length);
  const filling = performance.now();
  for (let m = 0; m < minutes; m++) minuteOf(m);
  console.log(
    `# stage of ${ids.length} devices (${member.size} candidate), ${minutes * ids.length} reports stored in ` +
      `${((performance.now() - filling) / 1000).toFixed(0)} s; load ${load()}`,
  );

  clock.now = start + minutes * MIN;
  const persist = { now: () => clock.now };
  const catchUp = (telemetry: StageTelemetry) => {
    const started = performance.now();
    let reads = 0;
    let stage = telemetry.read(rollout, ids, true);
    for (reads = 1; stage.catchingUp; reads++) stage = telemetry.read(rollout, ids, true);
    return { s: (performance.now() - started) / 1000, reads, stage };
  };
  const rebuild = catchUp(new StageTelemetry(db, specs, undefined, undefined, persist));
  console.log(
    `server.gates.rebuild_s: ${rebuild.s.toFixed(1)} s (${rebuild.reads} budgeted reads; candidate ${rebuild.stage.candidate?.reports} ` +
      `and baseline ${rebuild.stage.baseline?.reports} reports merged; what each restart cost before; load ${load()})`,
  );
  minuteOf(minutes); // one more minute of the fleet while the server was down
  clock.now += MIN;
  const restart = catchUp(new StageTelemetry(db, specs, undefined, undefined, persist));
  const expected = (rebuild.stage.candidate?.reports ?? 0) + member.size;
  if (restart.stage.candidate?.reports !== expected)
    throw new Error(
      `expected ${expected} candidate reports after the restart, got ${restart.stage.candidate?.reports}`,
    );
  console.log(
    `server.gates.restart_catch_up_s: ${restart.s.toFixed(3)} s (${restart.reads} read of ${ids.length} new reports on the ` +
      `persisted merge; ratio to rebuild ${(restart.s / rebuild.s).toFixed(4)}; load ${load()})`,
  );
} finally {
  database.close();
  rmSync(dir, { recursive: true, force: true });
}
