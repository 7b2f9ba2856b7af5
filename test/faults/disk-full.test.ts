// Issue 19 items 1 and 2: the agent's data dir on a real, small tmpfs that the test fills up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningAgent } from '@edgefleet/agent';
import type { StateReport } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { modelRef, publishDesired, registerCls, until } from '../agent/fleet';
import { agentStatus, enrollInto, freePort, inferOnce, startAgentIn } from './agents';
import { mountSmallFs, type SmallFs } from './small-fs';

const mounted = mountSmallFs(8 * 1024 * 1024);
if (typeof mounted === 'string') console.warn(`disk-full faults skipped: ${mounted}`);

describe.skipIf(typeof mounted === 'string')('agent on a full disk', () => {
  const fs = mounted as SmallFs;
  let t: TestServer;
  let agent: RunningAgent | undefined;
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort() });
  });
  afterAll(async () => {
    await agent?.close();
    await t?.dispose();
    fs.unmount();
  });

  const device = () =>
    t.server.context.db
      .select()
      .from(schema.devices)
      .all()
      .find((d) => d.id === 'full-1');
  const storedInferences = () =>
    t.server.context.db
      .select()
      .from(schema.telemetryReports)
      .all()
      .filter((r) => r.clientId === 'full-1')
      .reduce((n, r) => n + r.inferences, 0);

  it('keeps serving, counts what it could not store, says "disk full", restarts while full and resumes by itself', async () => {
    const dataDir = join(fs.dir, 'agent');
    await enrollInto(t, 'full-1', dataDir);
    const ref = await registerCls(t, '1.0.0');
    agent = await startAgentIn(dataDir);
    await until(() => agent!.link?.connected, 10_000, 'connect');
    const desired = await publishDesired(t, 'full-1', { active: ref });
    await until(() => agent!.reportedRev() === desired.rev, 20_000, 'applied');
    let served = 0;
    const serve = async (n: number) => {
      for (let i = 0; i < n; i++) {
        expect((await inferOnce(agent!)).status).toBe(200);
        served++;
      }
    };
    await serve(2);
    agent.flushWindow();
    await until(() => storedInferences() === 2, 10_000, 'first window stored');

    expect(fs.fill()).toBeGreaterThan(0);
    // The WAL may still have a page of slack: windows until one cannot be stored (before the fix: an uncaught
    // SQLITE_FULL killed the process at the first).
    for (let w = 0; w < 6 && agent.outbox.storage().status === 'ok'; w++) {
      await serve(3);
      agent.flushWindow();
    }
    const full = await agentStatus(agent);
    expect(full.storage).toMatchObject({
      status: 'full',
      message: expect.stringMatching(/SQLITE_FULL|ENOSPC/),
    });
    expect(full.storage.unstoredInferences).toBeGreaterThanOrEqual(3);
    // The server hears it in the reported state.
    await until(
      () => (device()?.reportedState as StateReport | null)?.storage?.status === 'full',
      10_000,
      'reported',
    );

    // A restart on the full disk: it starts and serves (before the fix the outbox constructor threw).
    await agent.close();
    agent = await startAgentIn(dataDir);
    await serve(2);
    agent.flushWindow();
    expect((await agentStatus(agent)).storage.status).toBe('full');

    // Space returns: the next window is stored and carries every inference that could not be, as dropped.
    fs.free();
    await serve(2);
    agent.flushWindow();
    expect(agent.outbox.storage().status).toBe('ok');
    await until(() => agent!.link?.connected, 10_000, 'reconnect');
    await until(() => agent!.outbox.stats().pending === 0, 15_000, 'drained');
    const reports = t.server.context.db
      .select()
      .from(schema.telemetryReports)
      .all()
      .filter((r) => r.clientId === 'full-1');
    // Nothing silent: every inference is stored or counted. The second life's unstored windows ride in its first
    // stored report as dropped; the first life ended on the full disk, so its count is the one it reported.
    const secondEpoch = agent.outbox.epoch;
    expect(secondEpoch).toBeGreaterThan(full.outbox.epoch);
    const droppedLater = Math.max(
      ...reports.filter((r) => r.epoch === secondEpoch).map((r) => r.overflow.droppedInferences ?? 0),
    );
    expect(droppedLater).toBe(2);
    expect(storedInferences() + droppedLater + full.storage.unstoredInferences).toBe(served);
  });

  it('reports a failed apply on the full disk with its reason; the applied rev moves only once the switch is durable', async () => {
    const dataDir = join(fs.dir, 'agent');
    const before = agent!.deployer.state.appliedRev;
    const ref = await registerCls(t, '1.0.1');
    fs.fill();
    try {
      // A new version: its download cannot be written.
      const d1 = await publishDesired(t, 'full-1', { active: ref });
      await until(
        () => agent!.lastErrors().some((e) => e.model?.version === '1.0.1'),
        20_000,
        'download failure',
      );
      expect(agent!.lastErrors().find((e) => e.model?.version === '1.0.1')).toMatchObject({
        step: 'download',
        message: expect.stringMatching(/ENOSPC|no space/i),
        rev: d1.rev,
      });
      // The same version with another policy: nothing to download, only the state file to write.
      const d2 = await publishDesired(
        t,
        'full-1',
        { active: await modelRef(t, '1.0.0') },
        {
          policies: { golden: 'if_present', shadowSampleRate: 0.5 },
        },
      );
      await until(() => agent!.lastErrors().some((e) => e.rev === d2.rev), 20_000, 'state write failure');
      expect(agent!.lastErrors()).toContainEqual(
        expect.objectContaining({
          step: 'activate',
          message: expect.stringMatching(/state could not be saved: .*ENOSPC/),
        }),
      );
      // Nothing moved: the rev, the state file, the model served.
      expect(agent!.deployer.state.appliedRev).toBe(before);
      expect(JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).appliedRev).toBe(before);
      expect((await inferOnce(agent!)).body.model.version).toBe('1.0.0');
      // The server sees the failure against the candidate (a rollout counts the target failed, not "switching").
      await until(
        () => ((device()?.reportedState as StateReport | null)?.errors ?? []).some((e) => e.rev === d2.rev),
        10_000,
        'reported failure',
      );
    } finally {
      fs.free();
    }
  });
});
