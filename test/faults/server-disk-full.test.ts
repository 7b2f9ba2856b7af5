// Issue 19 item 13: the fleet server's data dir on a real, small tmpfs that the test fills up.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from '../../fleet-server/src/alerts';
import { CLS_MODEL_PATH, startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { until } from '../agent/fleet';
import { mountSmallFs, type SmallFs } from './small-fs';

const mounted = mountSmallFs(24 * 1024 * 1024);
if (typeof mounted === 'string') console.warn(`server disk-full faults skipped: ${mounted}`);

describe.skipIf(typeof mounted === 'string')('fleet server on a full disk', () => {
  const fs = mounted as SmallFs;
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ storageProbeMs: 100 }, { parentDir: fs.dir });
  });
  afterAll(async () => {
    await t?.dispose();
    fs.unmount();
  });

  const model = readFileSync(CLS_MODEL_PATH);
  const uploadModel = () => t.call('/api/v1/artifacts?kind=model', { method: 'POST', body: model });
  const createToken = () => t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: {} } });
  const health = async (path: '/healthz' | '/readyz') => {
    t.clock.nowMs += 2_000; // past the probe gap of the health routes
    const res = await t.call(path);
    return {
      status: res.status,
      body: (await res.json()) as { status: string; storage: { status: string } },
    };
  };
  const storageErrors = async () => {
    const text = await (await t.call('/metrics')).text();
    return [...text.matchAll(/^edgefleet_storage_errors_total\{kind="full",op="(\w+)"\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[2]),
      0,
    );
  };
  const storageAlerts = () => listAlerts(t.server.context.db, { status: 'all', kind: 'storage', limit: 10 });

  it('answers 503 storage_full, reports it in health, metrics and an alert, and recovers without a restart', async () => {
    expect((await uploadModel()).status).toBe(201);
    expect((await createToken()).status).toBe(201);
    expect((await health('/readyz')).status).toBe(200);
    expect(await storageErrors()).toBe(0);

    const filledAtMs = t.clock.nowMs;
    expect(fs.fill()).toBeGreaterThan(0);

    // The write probe finds it (before the fix: /healthz said "db ok"). The alert is in the database at once: the
    // server gave up its reserve file to write it.
    await until(async () => (await health('/readyz')).status === 503, 10_000, 'readyz 503');
    expect(storageAlerts()).toMatchObject([
      { kind: 'storage', severity: 'critical', resolvedAt: null, details: { storage: 'full' } },
    ]);
    expect(storageAlerts()[0]!.firstSeenAt).toBeGreaterThanOrEqual(filledAtMs);

    // The disk keeps filling (what the reserve freed is taken too).
    fs.fill();
    // A file write: the artifact upload meets ENOSPC (before the fix: 500 internal).
    const upload = await t.call('/api/v1/artifacts?kind=reference', {
      method: 'POST',
      body: Buffer.alloc(64 * 1024, 1),
    });
    expect(upload.status).toBe(503);
    expect(upload.headers.get('retry-after')).toBeTruthy();
    expect(await upload.json()).toMatchObject({ error: 'storage_full', details: { kind: 'full' } });

    // Database writes: SQLite may still have a WAL page of slack; the first write that needs more is SQLITE_FULL.
    let dbWrite: Response | undefined;
    for (let i = 0; i < 200; i++) {
      dbWrite = await createToken();
      if (dbWrite.status !== 201) break;
    }
    expect(dbWrite!.status).toBe(503);
    expect(await dbWrite!.json()).toMatchObject({ error: 'storage_full' });

    // Health: /healthz stays 200 (liveness) but says degraded; /readyz answers 503.
    const live = await health('/healthz');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ status: 'degraded', storage: { status: 'full' } });
    const ready = await health('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.storage.status).toBe('full');
    expect(await storageErrors()).toBeGreaterThanOrEqual(2);

    // Space returns: the probe finds it, everything works again in the same process.
    fs.free();
    await until(async () => (await health('/readyz')).status === 200, 10_000, 'ready again');
    expect((await createToken()).status).toBe(201);
    expect((await t.call('/api/v1/artifacts?kind=model', { method: 'POST', body: model })).status).toBe(200);

    // The alert resolved by itself, one alert for the episode.
    await until(() => storageAlerts()[0]?.resolvedAt !== null, 10_000, 'storage alert resolved');
    expect(storageAlerts()).toHaveLength(1);
    expect((await health('/healthz')).body).toMatchObject({ status: 'ok', storage: { status: 'ok' } });
  });
});
