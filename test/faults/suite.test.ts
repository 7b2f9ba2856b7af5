// The fault suite: repeated faults done for real, with figures (`name: value unit` lines). `pnpm test:faults`
// runs it (EDGEFLEET_FAULTS_FULL=1, 10 kills; EDGEFLEET_FAULTS_KILLS to change); the normal suite runs the
// CI-sized subset: one kill in kill.test.ts and the other fault tests of this folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { publishDesired, registerCls, stripesPng, until } from '../agent/fleet';
import type { ManagedProcess } from '../lifecycle/processes';
import { enrollInto, freePort, runAgentProcess } from './agents';

const FULL = process.env.EDGEFLEET_FAULTS_FULL === '1';
const KILLS = Number(process.env.EDGEFLEET_FAULTS_KILLS ?? (FULL ? 10 : 2));

describe.skipIf(!FULL)(`fault suite (${KILLS} kills)`, () => {
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

  it(
    'kill -9 of a serving agent, again and again: nothing duplicated, at most a second of statistics lost per kill',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-suite-'));
      dirs.push(dataDir);
      await enrollInto(t, 'suite-1', dataDir);
      const ref = await registerCls(t, '1.0.0');
      const png = await stripesPng();
      let { p, url } = await runAgentProcess(dataDir, 'suite-agent-0');
      processes.push(p);
      const desired = await publishDesired(
        t,
        'suite-1',
        { active: ref },
        { telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 } },
      );
      const device = () =>
        t.server.context.db
          .select()
          .from(schema.devices)
          .all()
          .find((d) => d.id === 'suite-1');
      await until(() => device()?.appliedRev === desired.rev, 30_000, 'applied');
      const rows = () =>
        t.server.context.db
          .select()
          .from(schema.telemetryReports)
          .all()
          .filter((r) => r.clientId === 'suite-1');
      let served = 0;
      let recovered = 0;
      // A seeded spread of how long after its last answer each kill comes (0–1.5 s): some land before the
      // checkpoint of the last answers, which is the loss the checkpoint bounds.
      let seed = 19;
      const next = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (let kill = 0; kill < KILLS; kill++) {
        const burst = 3 + Math.floor(next() * 6);
        for (let i = 0; i < burst; i++) {
          const res = await fetch(`${url}/v1/infer?outputs=false`, {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: png,
          });
          expect(res.status).toBe(200);
          served++;
        }
        await new Promise((r) => setTimeout(r, Math.floor(next() * 1_500)));
        p.child.kill('SIGKILL');
        await p.exited;
        ({ p, url } = await runAgentProcess(dataDir, `suite-agent-${kill + 1}`));
        processes.push(p);
        const status = (await (await fetch(`${url}/v1/status`)).json()) as {
          recoveredAtStart: { inferences: number };
        };
        recovered += status.recoveredAtStart.inferences;
      }
      // A clean stop flushes what the last life served; then everything stored is counted.
      expect(await p.stop()).toBe(0);
      ({ p, url } = await runAgentProcess(dataDir, 'suite-agent-last'));
      processes.push(p);
      const stored = await until(
        () => {
          const r = rows();
          return r.length > 0 && new Set(r.map((x) => x.epoch)).size >= KILLS ? r : undefined;
        },
        30_000,
        'reports of every life',
      ).then(async () => {
        // Let the outbox drain completely.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return rows();
      });
      const keys = stored.map((r) => `${r.epoch}:${r.seq}`);
      const duplicated = keys.length - new Set(keys).size;
      const storedInferences = stored.reduce((n, r) => n + r.inferences, 0);
      const lost = served - storedInferences;
      console.log(`faults.agent_kill9.runs: ${KILLS} kills`);
      console.log(`faults.agent_kill9.served: ${served} inferences`);
      console.log(`faults.agent_kill9.lost: ${lost} inferences`);
      console.log(`faults.agent_kill9.duplicated: ${duplicated} reports`);
      console.log(`faults.agent_kill9.recovered: ${recovered} inferences`);
      expect(duplicated).toBe(0);
      expect(storedInferences).toBeLessThanOrEqual(served);
      // The checkpoints brought open windows back (without them every kill lost its whole open window).
      expect(recovered).toBeGreaterThan(0);
      // Sized by the number of kills: each one restarts a real agent process (~10 s on a loaded 2-core box).
    },
    30_000 * (KILLS + 2),
  );
});
