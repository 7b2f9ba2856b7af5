// Issue 19 items 3, 4, 5 and 7: the agent's files lost, truncated or garbage, and restarts that must keep the
// desired telemetry settings. A real server (embedded broker, SQLite) and real agents on real files.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningAgent } from '@edgefleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../agent/src/outbox/outbox';
import { sampleDraft } from '../../agent/src/outbox/sample-draft';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { publishDesired, registerCls, until } from '../agent/fleet';
import { agentStatus, enrollInto, freePort, inferOnce, startAgentIn } from './agents';

describe('agent files under faults', () => {
  let t: TestServer;
  const dirs: string[] = [];
  const agents: RunningAgent[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefleet-faults-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (dataDir: string, config: Record<string, unknown> = {}) => {
    const agent = await startAgentIn(dataDir, config);
    agents.push(agent);
    return agent;
  };
  const reports = (deviceId: string) =>
    t.server.context.db
      .select()
      .from(schema.telemetryReports)
      .all()
      .filter((r) => r.clientId === deviceId);
  const device = (id: string) =>
    t.server.context.db
      .select()
      .from(schema.devices)
      .all()
      .find((d) => d.id === id);

  /** An enrolled device serving cls@1.0.0, with `windows` windows of 2 inferences stored at the server. */
  const serving = async (deviceId: string, windows = 1, telemetry?: Record<string, number>) => {
    const dataDir = newDir();
    await enrollInto(t, deviceId, dataDir);
    const agent = await start(dataDir);
    await until(() => agent.link?.connected, 10_000, 'connect');
    const desired = await publishDesired(
      t,
      deviceId,
      { active: await registered },
      telemetry
        ? { telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000, ...telemetry } }
        : {},
    );
    await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < 2; i++) expect((await inferOnce(agent)).status).toBe(200);
      agent.flushWindow();
    }
    await until(() => agent.outbox.stats().pending === 0, 15_000, 'drained');
    return { agent, dataDir };
  };

  let registered: ReturnType<typeof registerCls>;
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort() });
    registered = registerCls(t, '1.0.0');
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await t.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('item 3: a garbage or truncated telemetry.db is moved aside; the agent starts, serves and reports', async () => {
    const { agent, dataDir } = await serving('corrupt-1');
    await agent.close();
    const db = join(dataDir, 'telemetry.db');
    for (const damage of ['garbage', 'truncated'] as const) {
      if (damage === 'garbage') {
        for (const suffix of ['-wal', '-shm']) rmSync(db + suffix, { force: true });
        writeFileSync(db, Buffer.alloc(64 * 1024, 0x5a));
      } else {
        // A real outbox with many pending reports, cut in the middle (a torn copy, a failing card).
        const box = new Outbox(db, 'corrupt-1', 1000);
        for (let i = 0; i < 200; i++) box.append(sampleDraft(), { backend: 'cpu', threads: 1 });
        box.close();
        truncateSync(db, Math.floor(readFileSync(db).length * 0.6));
      }
      const before = reports('corrupt-1').length;
      const restarted = await start(dataDir);
      expect((await inferOnce(restarted)).status).toBe(200);
      const status = await agentStatus(restarted);
      expect(status.storage.status).toBe('ok');
      expect(status.storage.quarantined).toHaveLength(1);
      expect(existsSync(String(status.storage.quarantined[0]))).toBe(true);
      expect(String(status.storage.quarantined[0])).toMatch(/telemetry\.db\.corrupt-\d+$/);
      // The fresh outbox takes windows and they reach the server.
      restarted.flushWindow();
      await until(() => reports('corrupt-1').length === before + 1, 15_000, `window after ${damage}`);
      await until(
        () =>
          (device('corrupt-1')?.reportedState as { storage?: { quarantined: number } })?.storage
            ?.quarantined === 1,
        10_000,
        'quarantine reported',
      );
      await restarted.close();
      for (const q of status.storage.quarantined) rmSync(String(q), { force: true });
    }
  });

  it('item 4: losing the outbox (or the outbox and epoch.json) never sends the epoch backwards; nothing is dropped as a duplicate', async () => {
    const { agent, dataDir } = await serving('epoch-1', 2);
    const firstEpoch = agent.outbox.epoch;
    await agent.close();
    for (const lost of [['telemetry.db'], ['telemetry.db', 'epoch.json']]) {
      for (const file of lost)
        for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, file + suffix), { force: true });
      const before = reports('epoch-1').reduce((n, r) => n + r.inferences, 0);
      const restarted = await start(dataDir);
      expect(restarted.outbox.epoch).toBeGreaterThan(firstEpoch);
      await until(() => restarted.link?.connected, 10_000, 'connect');
      for (let i = 0; i < 3; i++) expect((await inferOnce(restarted)).status).toBe(200);
      restarted.flushWindow();
      // Stored, not acked as a duplicate of the first life's epoch 1 seq 1.
      await until(
        () => reports('epoch-1').reduce((n, r) => n + r.inferences, 0) === before + 3,
        15_000,
        `new window stored after losing ${lost.join(' and ')}`,
      );
      // Presence and reported state are not refused as stale: the device shows online in its new epoch.
      await until(
        () => device('epoch-1')?.epoch === restarted.outbox.epoch && device('epoch-1')?.online,
        10_000,
        'online',
      );
      await restarted.close();
    }
  });

  it('item 7: a garbage state.json is rebuilt from the verified store (offline), or the agent says exactly what is wrong', async () => {
    const { agent, dataDir } = await serving('state-1');
    await agent.close();
    writeFileSync(join(dataDir, 'state.json'), '{"appliedRev": 3, "act');
    const offline = await start(dataDir, { mqttUrl: `mqtt://127.0.0.1:${await freePort()}` });
    const served = await inferOnce(offline);
    expect(served.status).toBe(200);
    expect(served.body.model).toEqual({ name: 'cls', version: '1.0.0' });
    const status = await agentStatus(offline);
    expect(status.errors).toContainEqual(
      expect.objectContaining({
        step: 'parse',
        message: expect.stringMatching(
          /state\.json is not a valid state .*rebuilt from the model store: serving cls@1\.0\.0/,
        ),
      }),
    );
    await offline.close();
    // The rebuilt state was saved: the next start is normal.
    expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).active).toEqual({
      name: 'cls',
      version: '1.0.0',
    });
    // With a store that holds nothing verified, the answer names the problem.
    writeFileSync(join(dataDir, 'state.json'), 'garbage');
    writeFileSync(join(dataDir, 'models', 'cls@1.0.0', 'model.onnx'), 'not the signed bytes');
    const empty = await start(dataDir, { mqttUrl: `mqtt://127.0.0.1:${await freePort()}` });
    expect((await inferOnce(empty)).status).toBe(503);
    expect((await agentStatus(empty)).errors).toContainEqual(
      expect.objectContaining({
        step: 'parse',
        message: expect.stringMatching(/no verified version in the model store/),
      }),
    );
    await empty.close();
  });

  it('item 5: after a restart the desired telemetry settings hold (window, in-flight, outbox bound), even offline', async () => {
    const { agent, dataDir } = await serving('settings-1', 1, {
      windowMs: 1000,
      maxInFlight: 2,
      outboxMaxReports: 3,
    });
    await agent.close();
    // Offline restart with the defaults on the command line (60 s windows, 10,000 reports).
    const offline = await start(dataDir, { mqttUrl: `mqtt://127.0.0.1:${await freePort()}` });
    expect(offline.sender?.maxInFlight).toBe(2);
    expect((await inferOnce(offline)).status).toBe(200);
    // The 1 s window closes by itself (the command line said 60 s).
    await until(() => offline.outbox.stats().appended === 1, 5_000, 'window closed by the 1 s timer');
    // The bound of 3 reports holds: more windows merge (or drop), counted.
    for (let w = 0; w < 6; w++) {
      expect((await inferOnce(offline)).status).toBe(200);
      offline.flushWindow();
    }
    const stats = offline.outbox.stats();
    expect(stats.pending).toBeLessThanOrEqual(3);
    expect(stats.overflow.mergedWindows + stats.overflow.droppedReports).toBeGreaterThan(0);
    await offline.close();
  });
});
