import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AppPlan } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { CLS_MODEL_PATH, startTestServer, type TestServer } from '../testing/harness';

let t: TestServer;
const withKey = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  t = await startTestServer({ appRateLimitPerS: 1, appRateBurst: 3 });
});
afterAll(() => t.dispose());

describe('apps and publishable keys', () => {
  it('creates an app whose key reads the plan and nothing else', async () => {
    const res = await t.call('/api/v1/apps', {
      method: 'POST',
      json: { id: 'shop', name: 'Shop checkout', allowedOrigins: ['https://shop.example.com'] },
    });
    expect(res.status).toBe(201);
    const app = await res.json();
    expect(app.publishableKey).toMatch(/^efp_/);
    const plan = await t.call('/api/v1/app/plan', withKey(app.publishableKey));
    expect(plan.status).toBe(200);
    expect(await plan.json()).toEqual({ appId: 'shop', rev: 0, plan: null });
    expect((await t.call('/api/v1/devices', withKey(app.publishableKey))).status).toBe(403);
    expect((await t.call('/api/v1/models', withKey(app.publishableKey))).status).toBe(403);
    expect(
      (await t.call('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'Other' } })).status,
    ).toBe(409);
    expect(
      (await t.call('/api/v1/apps', { method: 'POST', json: { name: 'x', allowedOrigins: ['*'] } })).status,
    ).toBe(400);
  });

  it('rate-limits each key with a token bucket (429 + Retry-After)', async () => {
    const app = await (await t.call('/api/v1/apps', { method: 'POST', json: { name: 'Limited' } })).json();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await t.call(`/api/v1/app/plan?key=${app.publishableKey}`, { headers: { authorization: '' } }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.call('/api/v1/app/plan', withKey(app.publishableKey));
    expect(limited.headers.get('retry-after')).toBe('1');
    t.clock.nowMs += 1000;
    expect((await t.call('/api/v1/app/plan', withKey(app.publishableKey))).status).toBe(200);
  });

  it('lets a key fetch only artifacts and specs its plan references', async () => {
    const model = readFileSync(CLS_MODEL_PATH);
    const sha256 = createHash('sha256').update(model).digest('hex');
    await t.call('/api/v1/artifacts', { method: 'POST', body: model });
    const app = await (await t.call('/api/v1/apps', { method: 'POST', json: { name: 'Viewer' } })).json();
    const download = () => t.call(`/api/v1/artifacts/${sha256}`, withKey(app.publishableKey));
    expect((await download()).status).toBe(403);
    // Only the references matter to the access check: a plan reduced to them.
    const plan = {
      models: [{ name: 'cls', current: { manifest: { name: 'cls', version: '1.0.0', sha256 } } }],
    } as unknown as AppPlan;
    t.server.context.db.update(schema.apps).set({ plan, planRev: 1 }).where(eq(schema.apps.id, app.id)).run();
    const res = await download();
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(Buffer.from(await res.arrayBuffer()).equals(model)).toBe(true);
  });

  it('disables, rotates and deletes', async () => {
    const app = await (await t.call('/api/v1/apps', { method: 'POST', json: { name: 'Rotating' } })).json();
    const patch = (json: unknown) => t.call(`/api/v1/apps/${app.id}`, { method: 'PATCH', json });
    expect((await patch({ disabled: true })).status).toBe(200);
    expect((await t.call('/api/v1/app/plan', withKey(app.publishableKey))).status).toBe(403);
    const rotated = await (await patch({ disabled: false, rotateKey: true })).json();
    expect(rotated.publishableKey).not.toBe(app.publishableKey);
    expect((await t.call('/api/v1/app/plan', withKey(app.publishableKey))).status).toBe(401);
    expect((await t.call('/api/v1/app/plan', withKey(rotated.publishableKey))).status).toBe(200);
    expect((await t.call(`/api/v1/apps/${app.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.call(`/api/v1/apps/${app.id}`)).status).toBe(404);
  });
});
