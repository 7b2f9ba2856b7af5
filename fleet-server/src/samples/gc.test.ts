import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { captureDayOf } from '@edgefleet/shared/capture';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { startTestServer, type TestServer } from '../testing/harness';
import { BUDGET_DAY_KEEP_MS, ORPHAN_BLOB_GRACE_MS, SampleGc } from './gc';
import { UploadsInFlight } from './in-flight';
import { saveBudgetDay } from './store';
import { metaOf, pngOf, policyOf, sampleFleet, uploadSample } from './test-support';

// The sample collector on a real server: retention 1 h, the clock moved by hand.

const HOUR = 3_600_000;
const DEV = 'a-00000.secret';
let t: TestServer;

const sampleRows = () => t.server.context.db.select().from(schema.samples).all();
const blobExists = (sha: string) => existsSync(t.server.parts.samples.blobs.pathOf(sha));

async function upload(seed: number, clientId = 'a-00000', width = 192, height = 48) {
  const bytes = await pngOf(seed, width, height);
  const meta = metaOf(bytes, { clientId, capturedAt: t.clock.nowMs });
  const res = await uploadSample(t, `${clientId}.secret`, meta, bytes);
  expect(res.status).toBe(201);
  return meta.sha256;
}

/** A blob file with no sample row, its mtime `ageMs` before the server's clock. */
async function strayBlob(seed: number, ageMs: number) {
  const bytes = await pngOf(seed, 8, 8);
  const sha = metaOf(bytes, { clientId: 'x', capturedAt: 0 }).sha256;
  const path = t.server.parts.samples.blobs.pathOf(sha);
  await mkdir(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  const at = new Date(t.clock.nowMs - ageMs);
  utimesSync(path, at, at);
  return sha;
}

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000, sampleRetentionMs: HOUR, sampleGcIntervalMs: 0 });
  await sampleFleet(t);
  const put = await t.call('/api/v1/models/cls/capture', {
    method: 'PUT',
    json: { target: { selector: 'line=2' }, policy: policyOf(10_000, 1_000_000_000) },
  });
  expect(put.status).toBe(200);
});
afterAll(() => t?.dispose());

describe('sample collection', () => {
  it('deletes expired unlabelled samples in no dataset with their blobs; keeps labelled, pinned and recent ones', async () => {
    const expired = await upload(1);
    const labelled = await upload(2);
    const pinned = await upload(3);
    const seenAgain = await upload(4);
    expect(
      (await t.call(`/api/v1/samples/${labelled}/label`, { method: 'PUT', json: { label: '0' } })).status,
    ).toBe(200);
    t.server.context.db
      .insert(schema.datasetSamples)
      .values({ datasetId: 'ds-1', sha256: pinned, contentType: 'image/png', sizeBytes: 1, label: null })
      .run();
    t.clock.nowMs += HOUR / 2;
    // Captured again by the neighbour: its retention counts from this capture.
    const bytes = await pngOf(4, 192, 48);
    const again = metaOf(bytes, { clientId: 'a-00001', capturedAt: t.clock.nowMs });
    expect((await uploadSample(t, 'a-00001.secret', again, bytes)).status).toBe(201);
    t.clock.nowMs += HOUR / 2 + 1;
    const before = t.server.parts.samples.gc.totals.expired;
    const pass = await t.server.parts.samples.gc.runPass();
    expect(pass.expired).toBe(1);
    expect(pass.bytes).toBeGreaterThan(0);
    expect(blobExists(expired)).toBe(false);
    expect((await t.call(`/api/v1/samples/${expired}`)).status).toBe(404);
    for (const kept of [labelled, pinned, seenAgain]) {
      expect(blobExists(kept)).toBe(true);
      expect((await t.call(`/api/v1/samples/${kept}/content`)).status).toBe(200);
    }
    expect(t.server.parts.samples.gc.totals.expired).toBe(before + 1);
    const metrics = await (await t.call('/metrics')).text();
    expect(metrics).toMatch(/edgefleet_sample_gc_removed_total\{kind="expired_samples"\} 1\b/);
    // A cleared label lets the sample expire again.
    await t.call(`/api/v1/samples/${labelled}/label`, { method: 'PUT', json: { label: null } });
    t.clock.nowMs += HOUR;
    const later = await t.server.parts.samples.gc.runPass();
    expect(later.expired).toBe(2); // the cleared one and the one seen again; the pinned one stays
    expect(sampleRows().map((s) => s.sha256)).toEqual([pinned]);
    expect(t.server.context.db.select().from(schema.sampleLabelAudit).all()).toEqual([]);
  });

  it('removes old orphan blobs, never a young one or one an upload holds', async () => {
    const old = await strayBlob(50, ORPHAN_BLOB_GRACE_MS + 1000);
    const young = await strayBlob(51, 1000);
    const held = await strayBlob(52, ORPHAN_BLOB_GRACE_MS + 1000);
    const junk = `${t.server.parts.samples.blobs.root}/ab/not-a-digest`;
    await mkdir(dirname(junk), { recursive: true });
    writeFileSync(junk, 'x');
    utimesSync(junk, new Date(0), new Date(0));
    const inFlight = new UploadsInFlight();
    const release = inFlight.hold(held);
    const gc = new SampleGc({
      db: t.server.context.db,
      blobs: t.server.parts.samples.blobs,
      inFlight,
      now: () => t.clock.nowMs,
      logger: t.server.context.logger,
      retentionMs: HOUR,
    });
    const pass = await gc.runPass();
    expect(pass.orphanBlobs).toBe(2);
    expect([blobExists(old), blobExists(young), blobExists(held), existsSync(junk)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    release();
    expect((await gc.runPass()).orphanBlobs).toBe(1);
    expect(blobExists(held)).toBe(false);
    t.clock.nowMs += ORPHAN_BLOB_GRACE_MS;
    expect((await gc.runPass()).orphanBlobs).toBe(1);
    expect(blobExists(young)).toBe(false);
  });

  it('never loses the bytes of an upload that runs while the collector does', async () => {
    // Every file looks old to the collector from here on: only the uploads' holds protect their bytes.
    t.clock.nowMs += 24 * HOUR;
    const gc = t.server.parts.samples.gc;
    let uploading = true;
    let passes = 0;
    const collector = (async () => {
      while (uploading) {
        await gc.runPass();
        passes += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const shas = await Promise.all(Array.from({ length: 24 }, (_, i) => upload(200 + i, 'a-00000', 96, 96)));
    uploading = false;
    await collector;
    expect(passes).toBeGreaterThan(1);
    for (const sha of shas) {
      expect(blobExists(sha)).toBe(true);
      const res = await t.call(`/api/v1/samples/${sha}/content`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });

  it('deletes budget days once no capture can be charged to them', async () => {
    const db = t.server.context.db;
    const old = captureDayOf(t.clock.nowMs - BUDGET_DAY_KEEP_MS - 86_400_000);
    const recent = captureDayOf(t.clock.nowMs - 300 * 86_400_000);
    saveBudgetDay(db, 'dev:gone', 'cls', { ...old, samples: 3 });
    saveBudgetDay(db, 'dev:gone', 'cls', { ...recent, samples: 4 });
    const pass = await t.server.parts.samples.gc.runPass();
    expect(pass.budgetDays).toBe(1);
    const left = db
      .select()
      .from(schema.sampleBudgetDays)
      .where(eq(schema.sampleBudgetDays.clientKey, 'dev:gone'))
      .all();
    expect(left.map((r) => r.dayMs)).toEqual([recent.dayMs]);
  });
});

describe('the collection timer (--sample-gc-interval-ms)', () => {
  it('collects on its own every interval, and not at all with 0', async () => {
    for (const intervalMs of [50, 0]) {
      const s = await startTestServer({
        rolloutTickMs: 3_600_000,
        sampleRetentionMs: HOUR,
        sampleGcIntervalMs: intervalMs,
      });
      try {
        await sampleFleet(s);
        await s.call('/api/v1/models/cls/capture', {
          method: 'PUT',
          json: { target: { devices: ['a-00000'] }, policy: policyOf() },
        });
        const bytes = await pngOf(300, 192, 48);
        const meta = metaOf(bytes, { clientId: 'a-00000', capturedAt: s.clock.nowMs });
        expect((await uploadSample(s, DEV, meta, bytes)).status).toBe(201);
        s.clock.nowMs += 2 * HOUR;
        const deadline = Date.now() + 3000;
        const rows = () => s.server.context.db.select().from(schema.samples).all().length;
        while (rows() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect({ intervalMs, rows: rows() }).toEqual({ intervalMs, rows: intervalMs > 0 ? 0 : 1 });
      } finally {
        await s.dispose();
      }
    }
  });
});
