// Issue 19 item 6: `kill -9` of a real agent process loses at most one checkpoint period of its open window.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { publishDesired, registerCls, stripesPng, until } from '../agent/fleet';
import type { ManagedProcess } from '../lifecycle/processes';
import { enrollInto, freePort, runAgentProcess } from './agents';

describe('kill -9 of a real agent process', () => {
  let t: TestServer;
  const dirs: string[] = [];
  const processes: ManagedProcess[] = [];
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort() });
  });
  afterAll(async () => {
    for (const p of processes) await p.stop(2_000);
    await t.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('item 6: the open window is checkpointed each second and recovered at the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-kill-'));
    dirs.push(dataDir);
    await enrollInto(t, 'kill-1', dataDir);
    const ref = await registerCls(t, '1.0.0');
    let { p, url } = await runAgentProcess(dataDir, 'agent-kill-1');
    processes.push(p);
    const desired = await publishDesired(t, 'kill-1', { active: ref });
    await until(
      () =>
        t.server.context.db
          .select()
          .from(schema.devices)
          .all()
          .find((d) => d.id === 'kill-1')?.appliedRev === desired.rev,
      30_000,
      'applied',
    );
    const png = await stripesPng();
    const served = 7;
    for (let i = 0; i < served; i++) {
      const res = await fetch(`${url}/v1/infer?outputs=false`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(res.status).toBe(200);
    }
    // The window is 60 s: nothing reached the outbox yet. Wait for the checkpoint of all seven, then kill -9.
    const checkpoint = join(dataDir, 'window.checkpoint.json');
    await until(
      () =>
        existsSync(checkpoint) &&
        JSON.parse(readFileSync(checkpoint, 'utf8')).drafts[0]?.inferences === served,
      10_000,
      'checkpoint',
    );
    p.child.kill('SIGKILL');
    expect(await p.exited).toBe('SIGKILL');

    ({ p, url } = await runAgentProcess(dataDir, 'agent-kill-1b'));
    processes.push(p);
    const stored = () =>
      t.server.context.db
        .select()
        .from(schema.telemetryReports)
        .all()
        .filter((r) => r.clientId === 'kill-1');
    // Before the checkpoint, all seven were gone without a trace.
    await until(
      () => stored().reduce((n, r) => n + r.inferences, 0) === served,
      20_000,
      'recovered window stored',
    );
    const status = (await (await fetch(`${url}/v1/status`)).json()) as {
      recoveredAtStart: { windows: number; inferences: number };
    };
    expect(status.recoveredAtStart).toEqual({ windows: 1, inferences: served });
    expect(existsSync(checkpoint)).toBe(false);
    // A clean stop leaves no checkpoint behind, and the next start recovers nothing twice.
    expect(await p.stop()).toBe(0);
    ({ p, url } = await runAgentProcess(dataDir, 'agent-kill-1c'));
    processes.push(p);
    const again = (await (await fetch(`${url}/v1/status`)).json()) as {
      recoveredAtStart: { windows: number };
    };
    expect(again.recoveredAtStart.windows).toBe(0);
    expect(stored().reduce((n, r) => n + r.inferences, 0)).toBe(served);
  });
});
