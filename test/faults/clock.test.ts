// Issue 19 item 9: stations whose clocks are an hour off (a real agent process with its clock moved) still
// count in the server's time, and the device page shows the offset.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { serverWindow } from '../../fleet-server/src/telemetry/ingest';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { publishDesired, registerCls, stripesPng, until } from '../agent/fleet';
import type { ManagedProcess } from '../lifecycle/processes';
import { enrollInto, freePort, runAgentProcess } from './agents';

const HOUR = 3_600_000;

describe('device clocks an hour off', () => {
  let t: TestServer;
  const dirs: string[] = [];
  const processes: ManagedProcess[] = [];
  let tick: NodeJS.Timeout;
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort() });
    // The harness clock is manual: here the server keeps real time, the stations do not.
    tick = setInterval(() => {
      t.clock.nowMs = Date.now();
    }, 50);
  });
  afterAll(async () => {
    clearInterval(tick);
    for (const p of processes) await p.stop(2_000);
    await t.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('item 9: window times are stored in the server clock (offset learned at hello) and the offset is on the device', async () => {
    const ref = await registerCls(t, '1.0.0');
    const png = await stripesPng();
    const stations = [
      { id: 'clock-behind', offset: -HOUR },
      { id: 'clock-ahead', offset: HOUR },
    ];
    const started = Date.now();
    const running = await Promise.all(
      stations.map(async ({ id, offset }) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-clock-'));
        dirs.push(dataDir);
        await enrollInto(t, id, dataDir);
        const { p, url } = await runAgentProcess(dataDir, id, { clockOffsetMs: offset });
        processes.push(p);
        const desired = await publishDesired(
          t,
          id,
          { active: ref },
          { telemetry: { windowMs: 1_000, maxInFlight: 4, outboxMaxReports: 1000 } },
        );
        const device = () =>
          t.server.context.db
            .select()
            .from(schema.devices)
            .all()
            .find((d) => d.id === id);
        await until(() => device()?.appliedRev === desired.rev, 30_000, `${id} applied`);
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${url}/v1/infer?outputs=false`, {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: png,
          });
          expect(res.status).toBe(200);
        }
        return { id, offset, device };
      }),
    );
    for (const { id, offset } of running) {
      const rows = await until(
        () => {
          const r = t.server.context.db
            .select()
            .from(schema.telemetryReports)
            .all()
            .filter((row) => row.clientId === id);
          return r.reduce((n, row) => n + row.inferences, 0) >= 3 ? r : undefined;
        },
        20_000,
        `${id} reports`,
      );
      expect(rows?.length).toBeGreaterThan(0);
      // Within the test's own span in the server's clock: before the fix, an hour early (never counted in a
      // stage that began after) or an hour late (reports from the future).
      for (const row of rows ?? []) {
        expect(row.windowStartMs, `${id} window start`).toBeGreaterThanOrEqual(started - 10_000);
        expect(row.windowEndMs, `${id} window end`).toBeLessThanOrEqual(row.receivedAt + 5_000);
      }
      // The admin API (the device page) shows the offset.
      const res = await t.call(`/api/v1/devices/${id}`);
      const view = (await res.json()) as { clockOffsetMs: number | null };
      expect(Math.abs(view.clockOffsetMs! - offset)).toBeLessThan(5_000);
    }
  });

  it('bounds a window from the future when no offset is known, keeping its length', () => {
    const now = 1_800_000_000_000;
    expect(serverWindow({ startMs: now + HOUR, endMs: now + HOUR + 5_000 }, undefined, now)).toEqual({
      startMs: now - 5_000,
      endMs: now,
    });
    // A few minutes ahead is slack, left as sent.
    expect(serverWindow({ startMs: now + 60_000, endMs: now + 65_000 }, undefined, now)).toEqual({
      startMs: now + 60_000,
      endMs: now + 65_000,
    });
    expect(serverWindow({ startMs: now - HOUR, endMs: now - HOUR + 5_000 }, -HOUR, now)).toEqual({
      startMs: now,
      endMs: now + 5_000,
    });
    expect(serverWindow({ startMs: now - 10_000, endMs: now }, undefined, now)).toEqual({
      startMs: now - 10_000,
      endMs: now,
    });
    expect(serverWindow({ startMs: 5, endMs: 10 }, 1_000, now)).toEqual({ startMs: 0, endMs: 5 });
  });
});
