import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxJsonBytes: 4096 });
});
afterAll(() => t.dispose());

const json = (body: unknown) => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});
const malformed = { body: '{"a":', headers: { 'content-type': 'application/json' } };
const oversized = json({ label: 'x'.repeat(10_000) });
const sha = 'a'.repeat(64);

/** [method, path, init, expected status, field named in details (if any)] */
const CASES: [string, string, RequestInit, number, string?][] = [
  ['POST', '/api/v1/admin-tokens', malformed, 400, 'body'],
  ['POST', '/api/v1/admin-tokens', json({ label: 5 }), 400, 'label'],
  ['POST', '/api/v1/admin-tokens', oversized, 413],
  ['DELETE', '/api/v1/admin-tokens/..%2F..', {}, 400, 'id'],
  ['POST', '/api/v1/enrollment-tokens', json({ expiresInS: 'soon' }), 400, 'expiresInS'],
  [
    'POST',
    '/api/v1/enrollment-tokens',
    { body: 'x', headers: { 'content-type': 'text/plain' } },
    415,
    'content-type',
  ],
  ['DELETE', '/api/v1/enrollment-tokens/nope', {}, 404],
  ['DELETE', '/api/v1/enrollment-tokens/a%2Fb', {}, 400, 'id'],
  ['POST', '/api/v1/enroll', malformed, 400, 'body'],
  ['POST', '/api/v1/enroll', json({ enrollmentToken: [], deviceId: 'x' }), 400, 'enrollmentToken'],
  ['POST', '/api/v1/enroll', oversized, 413],
  ['GET', '/api/v1/devices?offset=-1', {}, 400, 'offset'],
  ['GET', '/api/v1/devices?online=maybe', {}, 400, 'online'],
  ['GET', '/api/v1/devices/..%2F..%2Fetc', {}, 400, 'id'],
  ['PATCH', '/api/v1/devices/ghost', json({ name: 'x' }), 404],
  ['PATCH', '/api/v1/devices/ghost', json({ disabled: 'yes' }), 400, 'disabled'],
  ['DELETE', '/api/v1/devices/ghost', {}, 404],
  ['POST', '/api/v1/apps', json({ name: '' }), 400, 'name'],
  ['POST', '/api/v1/apps', json({ id: '../x', name: 'x' }), 400, 'id'],
  ['PATCH', '/api/v1/apps/ghost', json({ rotateKey: true }), 404],
  ['PATCH', '/api/v1/apps/ghost', json({ secret: 1 }), 400],
  ['DELETE', '/api/v1/apps/ghost', {}, 404],
  ['GET', '/api/v1/app/plan', { headers: { authorization: '' } }, 401],
  ['POST', '/api/v1/models/cls/versions', json([]), 400],
  ['POST', '/api/v1/models/cls/versions', oversized, 413],
  ['GET', '/api/v1/models/cls/versions/1.0.0%2F..', {}, 400, 'version'],
  ['POST', '/api/v1/models/cls/versions/1.0.0/deprecate', json({ reason: '' }), 400, 'reason'],
  ['POST', '/api/v1/models/cls/versions/1.0.0/deprecate', json({ reason: 'x' }), 404],
  ['GET', '/api/v1/models/cls/versions/1.0.0/spec', {}, 404],
  ['GET', '/api/v1/models/cls/versions/1.0.0/baseline', {}, 404],
  ['GET', `/api/v1/artifacts/${sha}/meta`, {}, 404],
  ['GET', '/api/v1/artifacts/zz/meta', {}, 400, 'sha256'],
  ['POST', '/api/v1/artifacts?kind=', { body: 'x' }, 400, 'kind'],
];

describe('hostile input on every route', () => {
  it.each(CASES)('%s %s → %i', async (method, path, init, status, field) => {
    const res = await t.call(path, { method, ...init });
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error).toMatch(/^[a-z_]+$/);
    expect(body.message.length).toBeGreaterThan(0);
    if (field) expect(JSON.stringify(body.details)).toContain(`"${field}`);
  });

  it('leaves the fleet as it was', async () => {
    const counts = await Promise.all(
      ['/api/v1/devices', '/api/v1/apps', '/api/v1/models', '/api/v1/enrollment-tokens'].map(async (path) =>
        JSON.stringify(await (await t.call(path)).json()),
      ),
    );
    expect(counts).toEqual(['{"devices":[],"total":0}', '{"apps":[]}', '{"models":[]}', '{"tokens":[]}']);
    expect((await (await t.call('/api/v1/admin-tokens')).json()).tokens).toHaveLength(1);
  });
});

describe('admin tokens', () => {
  it('rotates: create another, revoke the first, never the last', async () => {
    const created = await (
      await t.call('/api/v1/admin-tokens', { method: 'POST', ...json({ label: 'ci' }) })
    ).json();
    expect(created.token).toMatch(/^efa_/);
    const { tokens } = await (await t.call('/api/v1/admin-tokens')).json();
    expect(JSON.stringify(tokens)).not.toContain('efa_');
    const first = tokens.find((token: { label: string }) => token.label === 'bootstrap');
    const asNew = { headers: { authorization: `Bearer ${created.token}` } };
    expect((await t.call(`/api/v1/admin-tokens/${first.id}`, { method: 'DELETE', ...asNew })).status).toBe(
      200,
    );
    expect((await t.call('/api/v1/models')).status).toBe(401);
    const last = await t.call(`/api/v1/admin-tokens/${created.id}`, { method: 'DELETE', ...asNew });
    expect(last.status).toBe(409);
    expect((await t.call('/api/v1/models', asNew)).status).toBe(200);
  });
});
