import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { startTestServer, type TestServer } from '../testing/harness';
import { metaOf, pngOf, policyOf, sampleFleet, uploadSample } from './test-support';

// The server's day budgets: only an upload that is stored spends them.

let t: TestServer;
let keys: { shopKey: string; otherKey: string };

const spent = (clientKey: string, model: string) => {
  const b = schema.sampleBudgetDays;
  const rows = t.server.context.db
    .select({ day: b.day })
    .from(b)
    .where(and(eq(b.clientKey, clientKey), eq(b.modelName, model)))
    .all();
  return rows.reduce(
    (sum, r) => ({
      samples: sum.samples + r.day.samples,
      bytes: sum.bytes + r.day.bytes,
      refused: sum.refused + r.day.refused.samples + r.day.refused.bytes + r.day.refused.class_quota,
    }),
    { samples: 0, bytes: 0, refused: 0 },
  );
};
const captures = (clientId: string) =>
  t.server.context.db
    .select()
    .from(schema.sampleCaptures)
    .where(eq(schema.sampleCaptures.clientId, clientId))
    .all().length;

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000, sampleAppDailyCap: 3 });
  keys = await sampleFleet(t);
  const put = (json: unknown) => t.call('/api/v1/models/cls/capture', { method: 'PUT', json });
  // Each browser may capture 1 sample a day; the app's browsers 3 together. Devices: plenty.
  expect((await put({ target: { app: 'shop' }, policy: policyOf(1) })).status).toBe(200);
  expect((await put({ target: { selector: 'line=2' }, policy: policyOf(1000) })).status).toBe(200);
});
afterAll(() => t?.dispose());

describe('budgets spent only by stored samples', () => {
  it("a browser refused by its own budget does not spend the app's daily cap", async () => {
    const now = t.clock.nowMs;
    const upload = async (client: string, seed: number) => {
      const bytes = await pngOf(seed, 192, 48);
      return uploadSample(t, keys.shopKey, metaOf(bytes, { clientId: client, capturedAt: now }), bytes);
    };
    expect((await upload('browser-1', 1)).status).toBe(201);
    // browser-1's own budget (1 a day) is spent: refused five times, each counted, the app's cap untouched.
    for (const seed of [2, 3, 4, 5, 6]) expect((await upload('browser-1', seed)).status).toBe(429);
    expect(spent('app:shop', '*')).toMatchObject({ samples: 1, refused: 0 });
    expect(spent('app:shop:browser-1', 'cls')).toMatchObject({ samples: 1, refused: 5 });
    // So two more browsers still fit the cap of 3; the fourth meets the cap, and its own budget is not spent.
    expect((await upload('browser-2', 7)).status).toBe(201);
    expect((await upload('browser-3', 8)).status).toBe(201);
    const capped = await upload('browser-4', 9);
    expect(capped.status).toBe(429);
    expect((await capped.json()).message).toContain('daily sample cap of app shop');
    expect(spent('app:shop', '*')).toMatchObject({ samples: 3, refused: 1 });
    expect(spent('app:shop:browser-4', 'cls')).toEqual({ samples: 0, bytes: 0, refused: 0 });
  });

  it('two identical uploads at the same time store one capture and spend the budget once', async () => {
    const device = 'a-00000';
    const before = spent(`dev:${device}`, 'cls');
    const rounds = 6;
    let bytesStored = 0;
    for (let round = 0; round < rounds; round++) {
      const bytes = await pngOf(100 + round, 192, 48);
      const meta = metaOf(bytes, { clientId: device, capturedAt: t.clock.nowMs });
      const answers = await Promise.all(
        [0, 1, 2].map(() => uploadSample(t, `${device}.secret`, meta, bytes).then((r) => r.status)),
      );
      expect(answers.sort()).toEqual([200, 200, 201]);
      bytesStored += bytes.byteLength;
    }
    const after = spent(`dev:${device}`, 'cls');
    expect(after.samples - before.samples).toBe(rounds);
    expect(after.bytes - before.bytes).toBe(bytesStored);
    expect(captures(device)).toBe(rounds);
    // The same bytes from another device are its own capture, charged to it.
    const bytes = await pngOf(100, 192, 48);
    const other = metaOf(bytes, { clientId: 'a-00001', capturedAt: t.clock.nowMs });
    expect((await uploadSample(t, 'a-00001.secret', other, bytes)).status).toBe(201);
    expect(spent('dev:a-00001', 'cls').samples).toBe(1);
    expect(spent(`dev:${device}`, 'cls').samples - before.samples).toBe(rounds);
  });
});
