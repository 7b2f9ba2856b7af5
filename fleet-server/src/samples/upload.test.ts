import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { startTestServer, type TestServer } from '../testing/harness';
import { metaOf, pngOf, policyOf, sampleFleet, uploadSample } from './test-support';

let t: TestServer;
let keys: { shopKey: string; otherKey: string };
const DEV = 'a-00000.secret';
const rows = () => t.server.context.db.select().from(schema.sampleCaptures).all();
const counts = () => Object.fromEntries(t.server.parts.samples.uploads);

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = await res.json();
  expect({ status: res.status, code: body.error }).toEqual({ status, code });
  if (field) expect(JSON.stringify(body.details)).toContain(field);
  return body;
}

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000, sampleAppDailyCap: 3 });
  keys = await sampleFleet(t);
  const put = (json: unknown) => t.call('/api/v1/models/cls/capture', { method: 'PUT', json });
  await put({ target: { selector: 'line=2' }, policy: policyOf(4) });
  await put({ target: { app: 'shop' }, policy: policyOf(50) });
});
afterAll(() => t?.dispose());

describe('POST /api/v1/samples', () => {
  it('stores a device sample once (content-addressed), answers a resend as a duplicate', async () => {
    const bytes = await pngOf(1);
    const meta = metaOf(bytes, { clientId: 'a-00000', capturedAt: t.clock.nowMs - 60_000 });
    const first = await uploadSample(t, DEV, meta, bytes);
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ sha256: meta.sha256, status: 'stored' });
    const again = await uploadSample(t, DEV, meta, bytes);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ sha256: meta.sha256, status: 'duplicate' });
    expect(existsSync(join(t.dataDir, 'samples', 'sha256', meta.sha256.slice(0, 2), meta.sha256))).toBe(true);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]).toMatchObject({ deviceId: 'a-00000', deviceLabels: { line: '2' }, predicted: '0' });
    const sample = t.server.context.db.select().from(schema.samples).get();
    expect(sample).toMatchObject({ width: 48, height: 16, sizeBytes: bytes.byteLength });
  });

  it('refuses each hostile upload with a clear error, counts it, and loses nothing else', async () => {
    const now = t.clock.nowMs;
    const bytes = await pngOf(2);
    const good = metaOf(bytes, { clientId: 'a-00000', capturedAt: now });
    await expectError(await uploadSample(t, DEV, '{not json', bytes), 400, 'invalid_input', 'meta');
    await expectError(
      await uploadSample(t, DEV, { ...good, reasons: [] }, bytes),
      400,
      'invalid_input',
      'reasons',
    );
    await expectError(
      await uploadSample(t, DEV, { ...good, clientId: 'a-00001' }, bytes),
      403,
      'forbidden',
      'clientId',
    );
    await expectError(
      await uploadSample(t, 'b-00000.secret', { ...good, clientId: 'b-00000' }, bytes),
      403,
      'capture_disabled',
    );
    await expectError(
      await uploadSample(t, keys.otherKey, { ...good, clientId: 'browser-1' }, bytes),
      403,
      'capture_disabled',
    );
    await expectError(await uploadSample(t, t.adminToken, good, bytes), 403, 'forbidden');
    expect((await uploadSample(t, 'a-00000.wrong', good, bytes)).status).toBe(401);
    await expectError(
      await uploadSample(t, DEV, { ...good, sha256: 'b'.repeat(64) }, bytes),
      422,
      'unprocessable_content',
      'sha256',
    );
    await expectError(
      await uploadSample(t, DEV, { ...good, sizeBytes: bytes.byteLength + 1 }, bytes),
      422,
      'unprocessable_content',
      'sizeBytes',
    );
    const junk = new Uint8Array(400).fill(7);
    await expectError(
      await uploadSample(t, DEV, metaOf(junk, { clientId: 'a-00000', capturedAt: now }), junk),
      422,
      'unprocessable_content',
      'content',
    );
    const jpeg = new Uint8Array(await sharp(bytes).jpeg().toBuffer());
    await expectError(
      await uploadSample(t, DEV, metaOf(jpeg, { clientId: 'a-00000', capturedAt: now }), jpeg),
      415,
      'unsupported_media_type',
      'contentType',
    );
    await expectError(
      await uploadSample(t, DEV, { ...good, capturedAt: now + 3_600_000 }, bytes),
      422,
      'unprocessable_content',
      'capturedAt',
    );
    const huge = new Uint8Array(9 * 1024 * 1024);
    await expectError(
      await uploadSample(t, DEV, metaOf(huge, { clientId: 'a-00000', capturedAt: now }), huge),
      413,
      'payload_too_large',
    );
    expect(rows()).toHaveLength(1);
    const ok = await uploadSample(t, DEV, good, bytes);
    expect(ok.status).toBe(201);
    expect(rows()).toHaveLength(2);
    expect(counts()).toMatchObject({
      invalid_input: 2,
      forbidden: 2,
      capture_disabled: 2,
      unauthorized: 1,
      unprocessable_content: 4,
      unsupported_media_type: 1,
      payload_too_large: 1,
      stored: 2,
      duplicate: 1,
    });
    const metrics = await (await t.call('/metrics')).text();
    expect(metrics).toMatch(/edgefleet_sample_uploads_total\{result="capture_disabled"\} 2/);
  });

  it("holds the policy's day budget per device (by capture day), with Retry-After; the next day admits again", async () => {
    const day = Math.floor(t.clock.nowMs / 86_400_000) * 86_400_000;
    // a-00000 spent 2 of 4 today; two more fit, the fifth is refused; a-00001 has its own budget.
    for (const seed of [3, 4]) {
      const bytes = await pngOf(seed);
      expect(
        (await uploadSample(t, DEV, metaOf(bytes, { clientId: 'a-00000', capturedAt: day + 1000 }), bytes))
          .status,
      ).toBe(201);
    }
    const over = await pngOf(5);
    const refused = await uploadSample(
      t,
      DEV,
      metaOf(over, { clientId: 'a-00000', capturedAt: day + 2000 }),
      over,
    );
    await expectError(refused, 429, 'capture_budget_exhausted');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(
      (
        await uploadSample(
          t,
          'a-00001.secret',
          metaOf(over, { clientId: 'a-00001', capturedAt: day + 2000 }),
          over,
        )
      ).status,
    ).toBe(201);
    const yesterday = metaOf(over, { clientId: 'a-00000', capturedAt: day - 1000 });
    expect((await uploadSample(t, DEV, yesterday, over)).status).toBe(201);
    expect(counts().capture_budget_exhausted).toBe(1);
  });

  it("takes browser samples into the key's app, and bounds an app's browsers together by its daily cap", async () => {
    const now = t.clock.nowMs;
    for (const [i, client] of ['browser-1', 'browser-2', 'browser-3'].entries()) {
      const bytes = await pngOf(20 + i);
      const res = await uploadSample(
        t,
        keys.shopKey,
        metaOf(bytes, { clientId: client, capturedAt: now }),
        bytes,
      );
      expect(res.status).toBe(201);
    }
    const bytes = await pngOf(30);
    // A fourth client id (anyone with the public key can make one up) meets the app's cap.
    await expectError(
      await uploadSample(t, keys.shopKey, metaOf(bytes, { clientId: 'browser-4', capturedAt: now }), bytes),
      429,
      'capture_budget_exhausted',
    );
    const browser = t.server.context.db
      .select()
      .from(schema.sampleCaptures)
      .where(eq(schema.sampleCaptures.clientId, 'browser-1'))
      .get();
    expect(browser).toMatchObject({ appId: 'shop', deviceId: null, deviceLabels: {} });
  });
});

describe('the sample store quota', () => {
  it('answers 507 once the store is full, and still answers duplicates', async () => {
    const small = await startTestServer({ rolloutTickMs: 3_600_000, sampleStoreBytes: 4_000 });
    try {
      await sampleFleet(small);
      await small.call('/api/v1/models/cls/capture', {
        method: 'PUT',
        json: { target: { devices: ['a-00000'] }, policy: policyOf() },
      });
      const first = await pngOf(40, 16, 16);
      const second = await pngOf(41, 64, 64);
      expect(first.byteLength).toBeLessThan(small.server.context.config.sampleStoreBytes);
      expect(first.byteLength + second.byteLength).toBeGreaterThan(
        small.server.context.config.sampleStoreBytes,
      );
      const meta = metaOf(first, { clientId: 'a-00000', capturedAt: small.clock.nowMs });
      const stored = await uploadSample(small, DEV, meta, first);
      expect(stored.status).toBe(201);
      await expectError(
        await uploadSample(
          small,
          DEV,
          metaOf(second, { clientId: 'a-00000', capturedAt: small.clock.nowMs }),
          second,
        ),
        507,
        'sample_store_full',
      );
      expect((await uploadSample(small, DEV, meta, first)).status).toBe(200);
      expect(Object.fromEntries(small.server.parts.samples.uploads)).toMatchObject({
        sample_store_full: 1,
        stored: 1,
        duplicate: 1,
      });
    } finally {
      await small.dispose();
    }
  });
});
