// Issue 18 items 1 and 4: MQTT client ids are bound to the login, and revoking a credential ends its live
// sessions. The attacks are done with mosquitto clients, mqtt.js over WebSocket and a raw SSE reader.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAsync,
  connectClient,
  type MqttClient,
  waitFor,
} from '../../fleet-server/src/mqtt/test-clients';
import { enrollTestDevice } from '../../fleet-server/src/testing/enroll';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';

const run = promisify(execFile);
let t: TestServer;
let port: number;
let appKey: string;
const fleet = 'sec';

/** Runs a mosquitto client; resolves with its exit code and output (it never throws). */
async function mosquitto(bin: 'mosquitto_sub' | 'mosquitto_pub', args: string[]) {
  try {
    const { stdout, stderr } = await run(bin, ['-h', '127.0.0.1', '-p', String(port), ...args], {
      timeout: 8_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** A device's live session, watching for its end. */
async function deviceSession(deviceId: string, token: string) {
  const client = await connectClient(port, { clientId: deviceId, username: deviceId, password: token });
  const state = { closed: false, client };
  client.on('close', () => {
    state.closed = true;
  });
  return state;
}

beforeAll(async () => {
  t = await startTestServer({ fleet });
  port = Number(new URL(t.server.context.endpoints.mqttUrl).port);
  const app = await (
    await t.call('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'Shop' } })
  ).json();
  appKey = app.publishableKey;
  await t.call('/api/v1/apps', { method: 'POST', json: { id: 'other', name: 'Other' } });
});
afterAll(() => t.dispose());

describe('client ids are bound to the login', () => {
  it('a publishable key cannot take over a device session (mosquitto_sub -i <deviceId>), over TCP or WebSocket', async () => {
    const token = await enrollTestDevice(t, 'station-1');
    const device = await deviceSession('station-1', token);
    const desired = `ef/v1/${fleet}/app/shop/desired`;
    for (const clientId of [
      'station-1',
      'app:other:x',
      'app:shop:',
      'app:shopx:y',
      `app:shop:${'x'.repeat(65)}`,
    ]) {
      const takeover = await mosquitto('mosquitto_sub', [
        ...['-i', clientId, '-u', 'app:shop', '-P', appKey, '-t', desired, '-C', '1', '-W', '3'],
      ]);
      expect(takeover.code, clientId).not.toBe(0);
      expect(takeover.output, clientId).toMatch(/identifier rejected|not authori[sz]ed/i);
    }
    const ws = `${t.url.replace('http', 'ws')}/mqtt`;
    await expect(
      connectAsync(ws, { clientId: 'station-1', username: 'app:shop', password: appKey, reconnectPeriod: 0 }),
    ).rejects.toThrow(/identifier rejected|not authori[sz]ed/i);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(device.closed).toBe(false);
    expect(device.client.connected).toBe(true);
    // The app's own namespace works (the control: the refusals above are about the id, not the key).
    const own = await mosquitto('mosquitto_pub', [
      ...['-i', 'app:shop:page-1', '-u', 'app:shop', '-P', appKey],
      ...['-t', `ef/v1/${fleet}/app/shop/telemetry`, '-m', '{}'],
    ]);
    expect(own.code, own.output).toBe(0);
    // A device token under another device's id is refused too.
    const other = await mosquitto('mosquitto_pub', [
      ...[
        '-i',
        'station-9',
        '-u',
        'station-1',
        '-P',
        token,
        '-t',
        `ef/v1/${fleet}/dev/station-1/presence`,
        '-m',
        'x',
      ],
    ]);
    expect(other.code).not.toBe(0);
    await device.client.endAsync(true);
  });
});

describe('revocation ends live sessions at once', () => {
  it('disabling or deleting a device closes its MQTT session, and it cannot come back', async () => {
    const token = await enrollTestDevice(t, 'station-2');
    const device = await deviceSession('station-2', token);
    const patched = await t.call('/api/v1/devices/station-2', { method: 'PATCH', json: { disabled: true } });
    expect(patched.status).toBe(200);
    await waitFor(() => device.closed, 2_000);
    const again = await mosquitto('mosquitto_pub', [
      ...[
        '-i',
        'station-2',
        '-u',
        'station-2',
        '-P',
        token,
        '-t',
        `ef/v1/${fleet}/dev/station-2/presence`,
        '-m',
        'x',
      ],
    ]);
    expect(again.code).not.toBe(0);

    const token3 = await enrollTestDevice(t, 'station-3');
    const device3 = await deviceSession('station-3', token3);
    expect((await t.call('/api/v1/devices/station-3', { method: 'DELETE' })).status).toBe(204);
    await waitFor(() => device3.closed, 2_000);
  });

  it('rotating an app key closes the sessions that logged in with the old one, other apps keep theirs', async () => {
    const other = await (await t.call('/api/v1/apps/other')).json();
    const sessions: MqttClient[] = [];
    const closed = new Set<string>();
    for (const [app, key, id] of [
      ['shop', appKey, 'app:shop:tab-1'],
      ['shop', appKey, 'app:shop:tab-2'],
      ['other', other.publishableKey, 'app:other:tab-1'],
    ] as const) {
      const client = await connectAsync(`${t.url.replace('http', 'ws')}/mqtt`, {
        clientId: id,
        username: `app:${app}`,
        password: key,
        reconnectPeriod: 0,
      });
      client.on('close', () => closed.add(id));
      sessions.push(client);
    }
    const rotated = await t.call('/api/v1/apps/shop', { method: 'PATCH', json: { rotateKey: true } });
    expect(rotated.status).toBe(200);
    appKey = (await rotated.json()).publishableKey;
    await waitFor(() => closed.has('app:shop:tab-1') && closed.has('app:shop:tab-2'), 2_000);
    expect(closed.has('app:other:tab-1')).toBe(false);
    for (const s of sessions) await s.endAsync(true);
  });

  it('revoking an admin token ends the event streams opened with it', async () => {
    const created = await (
      await t.call('/api/v1/admin-tokens', { method: 'POST', json: { label: 'dashboard' } })
    ).json();
    const open = (token: string) =>
      fetch(`${t.url}/api/v1/events?token=${encodeURIComponent(token)}`).then((res) => {
        expect(res.status).toBe(200);
        return res.body!.getReader();
      });
    const revokedStream = await open(created.token);
    const keptStream = await open(t.adminToken);
    await revokedStream.read(); // the `retry` hint: the stream is live
    await keptStream.read();
    const revoke = await t.call(`/api/v1/admin-tokens/${created.id}`, { method: 'DELETE' });
    expect(revoke.status).toBe(200);
    const ended = await Promise.race([
      (async () => {
        for (;;) if ((await revokedStream.read()).done) return true;
      })(),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000)),
    ]);
    expect(ended).toBe(true);
    // The other admin's stream is still open: a heartbeat-free read stays pending.
    const pending = await Promise.race([
      keptStream.read().then(() => 'data'),
      new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 300)),
    ]);
    expect(['pending', 'data']).toContain(pending);
    await keptStream.cancel();
    expect((await fetch(`${t.url}/api/v1/events?token=${created.token}`)).status).toBe(401);
  });
});
