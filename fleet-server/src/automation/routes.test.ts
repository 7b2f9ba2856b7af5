import type { AppPlan, DesiredState } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { insertSimDevices } from '../rollouts/sim-fleet';
import { registerClsVersions } from '../rollouts/test-support';
import { startTestServer, type TestServer } from '../testing/harness';

let t: TestServer;
const URL = '/api/v1/models/cls/automation';
const partial = { level: 'partial', minConfidence: 0.9, minMargin: 0.2 } as const;
const put = (json: unknown, headers: Record<string, string> = {}) =>
  t.call(URL, { method: 'PUT', json, headers });

async function expectError(res: Response, status: number, field: string) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(JSON.stringify(body.details)).toContain(field);
}

const desiredOf = (id: string) =>
  t.server.context.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get() as {
    desiredState: DesiredState | null;
    desiredRev: number;
  };

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000, maxJsonBytes: 64 * 1024 });
  await registerClsVersions(t, ['1.0.0']);
  const db = t.server.context.db;
  insertSimDevices(db, 'a', 3, { site: 'a' }, t.clock.nowMs);
  insertSimDevices(db, 'b', 2, { site: 'b' }, t.clock.nowMs);
  const ref = (await (
    await t.call('/api/v1/models/cls/versions/1.0.0')
  ).json()) as DesiredState['models']['active'];
  const sessions = t.server.parts.deviceState.sessions;
  const base = {
    telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 },
    policies: { golden: 'if_present', shadowSampleRate: 1 },
  } as const;
  const { manifest, signature, artifactUrl, profileSpecUrl } = ref!;
  const active = { manifest, signature, artifactUrl, profileSpecUrl };
  // a-00000…a-00001 and b-* serve cls; a-00002 has a desired state without a model.
  for (const id of ['a-00000', 'a-00001', 'b-00000', 'b-00001'])
    await sessions.publishDesired(id, { models: { active, shadow: null, standby: null }, ...base });
  await sessions.publishDesired('a-00002', {
    models: { active: null, shadow: null, standby: null },
    ...base,
  });
  await t.call('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'Shop' } });
  await t.call('/api/v1/apps', { method: 'POST', json: { id: 'empty', name: 'Empty' } });
  await sessions.publishAppPlan('shop', {
    models: [{ name: 'cls', current: active }],
    ...base,
  });
});
afterAll(() => t?.dispose());

describe('automation API', () => {
  it('sets a level on a selector: republishes (rev + 1) the devices that serve the model, skips the others, keeps the rest of their state', async () => {
    const before = desiredOf('a-00000');
    const res = await put({ target: { selector: 'site=a' }, level: partial });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      setting: {
        model: 'cls',
        target: { kind: 'selector', selector: 'site=a' },
        level: partial,
        actor: expect.stringMatching(/^admin:/),
        setAt: t.clock.nowMs,
      },
      applied: { devices: 2, skipped: 1, failed: 0, app: false },
    });
    const after = desiredOf('a-00000');
    expect(after.desiredRev).toBe(before.desiredRev + 1);
    expect(after.desiredState?.automation).toEqual(partial);
    expect(after.desiredState?.models).toEqual(before.desiredState?.models);
    expect(after.desiredState?.policies).toEqual(before.desiredState?.policies);
    expect(desiredOf('a-00002').desiredState?.automation).toBeUndefined();
    expect(desiredOf('b-00000').desiredState?.automation).toBeUndefined();
  });

  it('sets explicit devices and an app plan slot; lists the level in force per target and the history', async () => {
    t.clock.nowMs += 1000;
    const devices = await put({ target: { devices: ['b-00001', 'a-00000'] }, level: { level: 'assist' } });
    expect((await devices.json()).applied).toEqual({ devices: 2, skipped: 0, failed: 0, app: false });
    expect(desiredOf('a-00000').desiredState?.automation).toEqual({ level: 'assist' });
    expect(desiredOf('b-00000').desiredState?.automation).toBeUndefined();

    const planRev = t.server.context.db
      .select()
      .from(schema.apps)
      .where(eq(schema.apps.id, 'shop'))
      .get()!.planRev;
    const app = await put({ target: { app: 'shop' }, level: { level: 'shadow' } });
    expect((await app.json()).applied).toEqual({ devices: 0, skipped: 0, failed: 0, app: true });
    const row = t.server.context.db.select().from(schema.apps).where(eq(schema.apps.id, 'shop')).get()!;
    expect(row.planRev).toBe(planRev + 1);
    expect((row.plan as AppPlan).models[0]?.automation).toEqual({ level: 'shadow' });
    expect(
      (await (await put({ target: { app: 'empty' }, level: { level: 'full' } })).json()).applied.app,
    ).toBe(false);

    // The same selector again replaces its earlier setting in the list; history keeps both.
    await put({ target: { selector: 'site=a' }, level: { level: 'full' } });
    const list = await (await t.call(URL)).json();
    expect(list.settings.map((s: { target: unknown; level: unknown }) => [s.target, s.level])).toEqual([
      [{ kind: 'selector', selector: 'site=a' }, { level: 'full' }],
      [{ kind: 'app', appId: 'empty' }, { level: 'full' }],
      [{ kind: 'app', appId: 'shop' }, { level: 'shadow' }],
      [{ kind: 'devices', ids: ['a-00000', 'b-00001'] }, { level: 'assist' }],
    ]);
    expect(list.history).toHaveLength(5);
    expect(list.history.at(-1)).toMatchObject({ level: partial, actor: expect.stringMatching(/^admin:/) });
  });

  it('refuses hostile input with its status and field', async () => {
    await expectError(
      await t.call('/api/v1/models/nope/automation', {
        method: 'PUT',
        json: { target: { app: 'shop' }, level: { level: 'full' } },
      }),
      404,
      'name',
    );
    await expectError(await t.call('/api/v1/models/nope/automation'), 404, 'name');
    await expectError(await put({ target: { app: 'ghost' }, level: { level: 'full' } }), 404, 'target.app');
    await expectError(
      await put({ target: { selector: 'site in (a' }, level: { level: 'full' } }),
      400,
      'target.selector',
    );
    await expectError(await put({ target: { selector: 'site=a' }, level: { level: 'auto' } }), 400, 'level');
    await expectError(
      await put({ target: { selector: 'site=a' }, level: { level: 'partial', minConfidence: 0.9 } }),
      400,
      'minMargin',
    );
    await expectError(
      await put({ target: { selector: 'site=a' }, level: { ...partial, minConfidence: 1.5 } }),
      400,
      'minConfidence',
    );
    await expectError(
      await put({ target: { selector: 'site=a' }, level: { ...partial, minMargin: -0.1 } }),
      400,
      'minMargin',
    );
    await expectError(
      await put({ target: { selector: 'site=a', app: 'shop' }, level: { level: 'full' } }),
      400,
      'target',
    );
    await expectError(await put({ target: { devices: [] }, level: { level: 'full' } }), 400, 'devices');
    await expectError(
      await put({ target: { app: 'shop' }, level: { level: 'full', extra: 1 } }),
      400,
      'level',
    );
    const huge = {
      target: { devices: Array.from({ length: 9000 }, (_, i) => `device-${i}`) },
      level: { level: 'full' },
    };
    expect((await put(huge)).status).toBe(413);
    // Nothing of the refused calls was stored.
    expect((await (await t.call(URL)).json()).history).toHaveLength(5);
  });

  it('is admin-only: no token 401, a device token 403, an app key 403', async () => {
    const body = { target: { app: 'shop' }, level: { level: 'full' } };
    expect((await put(body, { authorization: '' })).status).toBe(401);
    expect((await put(body, { authorization: 'Bearer efa_forged' })).status).toBe(401);
    expect((await put(body, { authorization: 'Bearer a-00000.secret' })).status).toBe(403);
    const key = (await (await t.call('/api/v1/apps/shop')).json()).publishableKey as string;
    expect((await put(body, { authorization: `Bearer ${key}` })).status).toBe(403);
    expect((await t.call(URL, { headers: { authorization: 'Bearer a-00000.secret' } })).status).toBe(403);
    expect((await (await t.call(URL)).json()).history).toHaveLength(5);
  });
});
