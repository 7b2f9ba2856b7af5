import { enrollResponseSchema } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';

let t: TestServer;
const capabilities = { platform: 'node', os: 'linux', arch: 'x64', backends: ['cpu'], cpuCount: 2 };

async function createToken(body: Record<string, unknown>): Promise<string> {
  const res = await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: body });
  expect(res.status).toBe(201);
  return (await res.json()).token;
}
const enroll = (enrollmentToken: string, deviceId: string, labels: Record<string, string> = {}) =>
  t.call('/api/v1/enroll', {
    method: 'POST',
    json: { enrollmentToken, deviceId, labels, capabilities, agentVersion: '0.1.0' },
    headers: { authorization: '' },
  });
const asDevice = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  t = await startTestServer({ fleet: 'plant' });
});
afterAll(() => t.dispose());

describe('enrollment', () => {
  it('trades a token for device credentials, token labels winning', async () => {
    const token = await createToken({ labels: { site: 'plant-a' }, deviceLabelKeys: ['line'], maxUses: 2 });
    // A label the token neither sets nor allows would put the device into rollouts it was never meant for.
    const forged = await enroll(token, 'station-1', { line: '3', canary: 'yes' });
    expect(forged.status).toBe(403);
    expect((await forged.json()).message).toMatch(/'canary' may not be set by the device/);
    const res = await enroll(token, 'station-1', { site: 'forged', line: '3' });
    expect(res.status).toBe(201);
    const body = enrollResponseSchema.parse(await res.json());
    expect(body).toMatchObject({ deviceId: 'station-1', fleet: 'plant', apiUrl: t.url });
    expect(body.deviceToken.startsWith('station-1.')).toBe(true);
    const me = await t.call('/api/v1/device', asDevice(body.deviceToken));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: 'station-1',
      labels: { site: 'plant-a', line: '3' },
      online: false,
    });

    expect((await enroll(token, 'station-1')).status).toBe(409);
    expect((await enroll(token, 'station-2')).status).toBe(201);
    const exhausted = await enroll(token, 'station-3');
    expect(exhausted.status).toBe(403);
    expect((await exhausted.json()).message).toMatch(/no uses left/);
  });

  it('gives every token an expiry (24 h) and a use count (1) unless told, and at most 30 days', async () => {
    const res = await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: {} });
    const created = await res.json();
    expect(created).toMatchObject({ maxUses: 1, deviceLabelKeys: [], expiresAt: t.clock.nowMs + 86_400_000 });
    expect((await enroll(created.token, 'once-1')).status).toBe(201);
    expect((await enroll(created.token, 'once-2')).status).toBe(403);
    expect((await t.call('/api/v1/devices/once-1', { method: 'DELETE' })).status).toBe(204);
    for (const body of [
      { expiresInS: 31 * 86_400 },
      { maxUses: 0 },
      { expiresInS: null },
      { maxUses: null },
    ]) {
      const refused = await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('refuses unknown, expired and revoked tokens', async () => {
    expect((await enroll('efe_unknown-token-xxxxxxxx', 'dev-x')).status).toBe(401);
    const expiring = await createToken({ expiresInS: 60 });
    t.clock.nowMs += 61_000;
    expect((await enroll(expiring, 'dev-x')).status).toBe(403);
    const revoked = await createToken({});
    const list = await (await t.call('/api/v1/enrollment-tokens')).json();
    expect(JSON.stringify(list)).not.toContain(revoked);
    const id = list.tokens[0].id;
    expect((await t.call(`/api/v1/enrollment-tokens/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await enroll(revoked, 'dev-x')).status).toBe(403);
  });

  it('validates enrollment and token bodies', async () => {
    const token = await createToken({});
    for (const deviceId of ['a/b', '../x', '', '+', 'x'.repeat(129)]) {
      const res = await enroll(token, deviceId);
      expect(res.status, deviceId).toBe(400);
      expect((await res.json()).details[0].field).toBe('deviceId');
    }
    const bad = await t.call('/api/v1/enrollment-tokens', {
      method: 'POST',
      json: { maxUses: -1, labels: { '': 'x' } },
    });
    expect(bad.status).toBe(400);
    const fields = (await bad.json()).details.map((d: { field: string }) => d.field);
    expect(fields).toContain('maxUses');
    expect(fields.some((field: string) => field.startsWith('labels'))).toBe(true);
  });
});

describe('device administration', () => {
  let deviceToken = '';
  beforeAll(async () => {
    const token = await createToken({ labels: { site: 'plant-b' }, deviceLabelKeys: ['line'] });
    deviceToken = (await (await enroll(token, 'cam-7', { line: '7' })).json()).deviceToken;
  });

  it('lists devices by label selector', async () => {
    const ids = async (selector: string) => {
      const res = await t.call(`/api/v1/devices?selector=${encodeURIComponent(selector)}`);
      expect(res.status).toBe(200);
      return (await res.json()).devices.map((d: { id: string }) => d.id);
    };
    expect(await ids('')).toEqual(['cam-7', 'station-1', 'station-2']);
    expect(await ids('site=plant-a')).toEqual(['station-1', 'station-2']);
    expect(await ids('site in (plant-b),line')).toEqual(['cam-7']);
    expect(await ids('!line')).toEqual(['station-2']);
    const bad = await t.call('/api/v1/devices?selector=site%20in%20plant');
    expect(bad.status).toBe(400);
    expect((await bad.json()).details).toMatchObject({ field: 'selector' });
    expect((await t.call('/api/v1/devices?limit=0')).status).toBe(400);
  });

  it('labels, disables, enables and deletes a device', async () => {
    const patch = (json: unknown) => t.call('/api/v1/devices/cam-7', { method: 'PATCH', json });
    const labelled = await (await patch({ labels: { line: null, station: '7' }, name: 'Camera 7' })).json();
    expect(labelled).toMatchObject({ labels: { site: 'plant-b', station: '7' }, name: 'Camera 7' });
    expect((await patch({ labels: { 'bad key!': 'x' } })).status).toBe(400);
    expect((await patch({ online: true })).status).toBe(400);

    expect((await patch({ disabled: true })).status).toBe(200);
    expect((await t.call('/api/v1/device', asDevice(deviceToken))).status).toBe(403);
    expect((await patch({ disabled: false })).status).toBe(200);
    expect((await t.call('/api/v1/device', asDevice(deviceToken))).status).toBe(200);

    expect((await t.call('/api/v1/devices/cam-7', { method: 'DELETE' })).status).toBe(204);
    expect((await t.call('/api/v1/devices/cam-7')).status).toBe(404);
    expect((await t.call('/api/v1/device', asDevice(deviceToken))).status).toBe(401);
    expect((await t.call('/api/v1/devices/cam-7', { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps device credentials away from admin routes and checks secrets', async () => {
    const token = await createToken({});
    const creds = (await (await enroll(token, 'probe')).json()).deviceToken as string;
    expect((await t.call('/api/v1/devices', asDevice(creds))).status).toBe(403);
    expect((await t.call('/api/v1/device', asDevice(`${creds.slice(0, -2)}xx`))).status).toBe(401);
    expect((await t.call('/api/v1/device', asDevice('station-1'))).status).toBe(401);
    expect((await t.call('/api/v1/device', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });
});
