import type { AppPlan, DesiredState } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { startTestServer, type TestServer } from '../testing/harness';
import { policyOf, sampleFleet } from './test-support';

let t: TestServer;
const URL = '/api/v1/models/cls/capture';
const put = (json: unknown, headers: Record<string, string> = {}) =>
  t.call(URL, { method: 'PUT', json, headers });
const desiredOf = (id: string) =>
  t.server.context.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get() as unknown as {
    desiredState: DesiredState;
    desiredRev: number;
  };
const planOf = (id: string) =>
  t.server.context.db.select().from(schema.apps).where(eq(schema.apps.id, id)).get()!.plan as AppPlan;

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  await sampleFleet(t);
});
afterAll(() => t?.dispose());

describe('capture settings API', () => {
  it('sets a policy on a selector: republishes the devices it covers, keeps the rest of their state, opt-in elsewhere', async () => {
    const before = desiredOf('a-00000');
    const policy = policyOf(5);
    const res = await put({ target: { selector: 'line=2' }, policy });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      setting: {
        model: 'cls',
        target: { kind: 'selector', selector: 'line=2' },
        policy,
        actor: expect.stringMatching(/^admin:/),
      },
      applied: { devices: 2, skipped: 0, failed: 0, app: false },
    });
    const after = desiredOf('a-00000');
    expect(after.desiredRev).toBe(before.desiredRev + 1);
    expect(after.desiredState.capture).toEqual(policy);
    expect(after.desiredState.models).toEqual(before.desiredState.models);
    expect(desiredOf('b-00000').desiredState.capture).toBeUndefined();
  });

  it('sets an app plan slot, turns capture off with null, and lists the setting in force per target and the history', async () => {
    t.clock.nowMs += 1000;
    const app = await put({ target: { app: 'shop' }, policy: policyOf(2) });
    expect((await app.json()).applied).toEqual({ devices: 0, skipped: 0, failed: 0, app: true });
    expect(planOf('shop').models[0]?.capture).toEqual(policyOf(2));
    expect(planOf('other').models[0]?.capture).toBeUndefined();
    const off = await put({ target: { devices: ['a-00001'] }, policy: null });
    expect((await off.json()).applied.devices).toBe(1);
    expect(desiredOf('a-00001').desiredState.capture).toBeUndefined();
    expect(desiredOf('a-00000').desiredState.capture).toEqual(policyOf(5));
    const list = await (await t.call(URL)).json();
    expect(list.settings.map((s: { target: unknown; policy: unknown }) => [s.target, s.policy])).toEqual([
      [{ kind: 'devices', ids: ['a-00001'] }, null],
      [{ kind: 'app', appId: 'shop' }, policyOf(2)],
      [{ kind: 'selector', selector: 'line=2' }, policyOf(5)],
    ]);
    expect(list.history).toHaveLength(3);
    // Automation settings are another kind: they do not show here, nor capture there.
    expect((await (await t.call('/api/v1/models/cls/automation')).json()).history).toHaveLength(0);
  });

  it('refuses hostile input and other credentials', async () => {
    expect(
      (
        await t.call('/api/v1/models/nope/capture', {
          method: 'PUT',
          json: { target: { app: 'shop' }, policy: null },
        })
      ).status,
    ).toBe(404);
    expect((await put({ target: { app: 'ghost' }, policy: null })).status).toBe(404);
    expect((await put({ target: { selector: 'line in (2' }, policy: null })).status).toBe(400);
    const bad = await put({
      target: { app: 'shop' },
      policy: { ...policyOf(), budget: { maxSamplesPerDay: 0, maxBytesPerDay: 1 } },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify((await bad.json()).details)).toContain('maxSamplesPerDay');
    expect((await put({ target: { app: 'shop' } })).status).toBe(400);
    const key = (await (await t.call('/api/v1/apps/shop')).json()).publishableKey as string;
    expect(
      (await put({ target: { app: 'shop' }, policy: null }, { authorization: `Bearer ${key}` })).status,
    ).toBe(403);
    expect(
      (await put({ target: { app: 'shop' }, policy: null }, { authorization: 'Bearer a-00000.secret' }))
        .status,
    ).toBe(403);
    expect((await t.call(URL, { headers: { authorization: 'Bearer a-00000.secret' } })).status).toBe(403);
    expect((await (await t.call(URL)).json()).history).toHaveLength(3);
  });
});
