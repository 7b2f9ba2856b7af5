import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestDevice } from '../testing/enroll';
import { startTestServer, type TestServer } from '../testing/harness';
import { brokerHookMode } from './broker-hooks';

const SECRET = 'hook-secret-0123456789';

describe('brokerHookMode', () => {
  it('mounts with a secret, leaves embedded mode without one unmounted, and external mode open', () => {
    expect(brokerHookMode({ brokerHookSecret: SECRET })).toBe('secret');
    expect(brokerHookMode({ mqttUrl: 'mqtt://b:1883', brokerHookSecret: SECRET })).toBe('secret');
    expect(brokerHookMode({})).toBe('off');
    expect(brokerHookMode({ mqttUrl: 'mqtt://b:1883' })).toBe('open');
  });
});

describe('broker hooks on a real server', () => {
  let plain: TestServer;
  let secured: TestServer;
  let deviceToken: string;
  const fleet = 'default';
  const devTopic = (id: string, kind: string) => `ef/v1/${fleet}/dev/${id}/${kind}`;

  beforeAll(async () => {
    [plain, secured] = await Promise.all([startTestServer(), startTestServer({ brokerHookSecret: SECRET })]);
    deviceToken = await enrollTestDevice(secured, 'station-1');
  });
  afterAll(async () => {
    await Promise.all([plain?.dispose(), secured?.dispose()]);
  });

  const hook = (
    t: TestServer,
    path: string,
    body: unknown,
    { query = '', headers = { authorization: `Bearer ${SECRET}` } as Record<string, string> } = {},
  ) =>
    fetch(`${t.url}/api/v1/broker/${path}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('does not exist in embedded mode without a secret', async () => {
    const res = await hook(plain, 'auth', { clientid: 'x', username: 'x', password: 'y' });
    expect(res.status).toBe(404);
  });

  it('requires the secret (bearer, header or query) when one is set', async () => {
    const body = { clientid: 'station-1', username: 'station-1', password: deviceToken };
    expect((await hook(secured, 'auth', body, { headers: {} })).status).toBe(401);
    const wrong = { authorization: `Bearer ${SECRET.replace('0', '1')}` };
    expect((await hook(secured, 'auth', body, { headers: wrong })).status).toBe(401);
    const viaHeader = { 'x-edgefleet-hook-secret': SECRET };
    expect(await (await hook(secured, 'auth', body, { headers: viaHeader })).json()).toMatchObject({
      result: 'allow',
    });
    const viaQuery = await hook(secured, 'auth', body, { headers: {}, query: `?secret=${SECRET}` });
    expect((await viaQuery.json()).result).toBe('allow');
  });

  it('answers auth and ACL hooks in EMQX, go-auth and VerneMQ styles', async () => {
    const auth = await hook(secured, 'auth', {
      clientid: 'station-1',
      username: 'station-1',
      password: deviceToken,
    });
    expect(await auth.json()).toMatchObject({ result: 'allow', ok: true, is_superuser: false });
    const bad = await hook(secured, 'auth', { clientid: 'station-1', username: 'station-1', password: 'no' });
    expect(await bad.json()).toMatchObject({ result: 'deny', ok: false });
    const own = {
      clientid: 'station-1',
      username: 'station-1',
      topic: devTopic('station-1', 'telemetry'),
      action: 'publish',
    };
    expect((await (await hook(secured, 'acl', own)).json()).result).toBe('allow');
    const other = { ...own, topic: devTopic('station-2', 'telemetry') };
    expect((await (await hook(secured, 'acl', other)).json()).result).toBe('deny');
    expect((await hook(secured, 'acl', other, { query: '?mode=status' })).status).toBe(403);
    const sys = { ...own, topic: '$SYS/#', acc: 4, action: undefined };
    expect((await hook(secured, 'acl', sys, { query: '?mode=status' })).status).toBe(403);
    const vernemq = await hook(
      secured,
      'acl',
      {
        client_id: 'station-1',
        username: 'station-1',
        topics: [{ topic: devTopic('station-1', 'desired'), qos: 1 }],
      },
      {
        query: '?style=vernemq',
        headers: { authorization: `Bearer ${SECRET}`, 'vernemq-hook': 'auth_on_subscribe' },
      },
    );
    expect(await vernemq.json()).toEqual({ result: 'ok' });
  });
});
