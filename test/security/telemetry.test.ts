// Issue 18 items 2 and 3: implausible reports are refused, and the same budgets hold over HTTP and MQTT (TCP and
// WebSocket), per app key and per client id, attacked with a raw mqtt client and raw HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync } from '../../fleet-server/src/mqtt/test-clients';
import { clsReport, clsWindowProfile, insertClsVersion } from '../../fleet-server/src/telemetry/fixtures';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';

let t: TestServer;
let appKey: string;
const fleet = 'sec';
const stored = () =>
  (
    t.server.context.database.sqlite
      .prepare(`select count(*) as n from telemetry_reports where scope = 'app'`)
      .get() as {
      n: number;
    }
  ).n;
const post = (reports: unknown[]) =>
  fetch(`${t.url}/api/v1/telemetry?key=${appKey}`, {
    method: 'POST',
    body: JSON.stringify({ reports }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

beforeAll(async () => {
  t = await startTestServer({ fleet, appRateLimitPerS: 1000, appRateBurst: 1000 });
  insertClsVersion(t.server.context.db, '1.0.0');
  appKey = (
    await (await t.call('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'Shop' } })).json()
  ).publishableKey;
});
afterAll(() => t.dispose());

describe('plausibility', () => {
  it('refuses counts the sketches do not back, or more inferences than the window can hold', async () => {
    const honest = clsReport('web-a', 1, clsWindowProfile(1, 60));
    const inflated = clsReport('web-a', 2, clsWindowProfile(2, 2));
    inflated.profile = { ...inflated.profile, inferences: Number.MAX_SAFE_INTEGER };
    const tooMany = clsReport('web-a', 3, clsWindowProfile(3, 60));
    tooMany.profile = { ...tooMany.profile, inferences: 60_001 * 1000 };
    const { status, body } = await post([honest, inflated, tooMany]);
    expect(status).toBe(200);
    expect(body.results.map((r: { status: string; reason?: string }) => r.reason ?? r.status)).toEqual([
      'stored',
      'implausible',
      'implausible',
    ]);
    // The same report over MQTT is not stored either.
    const before = stored();
    const client = await connectAsync(`${t.url.replace('http', 'ws')}/mqtt`, {
      clientId: 'app:shop:mqtt-1',
      username: 'app:shop',
      password: appKey,
      reconnectPeriod: 0,
    });
    await client.publishAsync(`ef/v1/${fleet}/app/shop/telemetry`, JSON.stringify({ ...inflated, seq: 9 }), {
      qos: 1,
    });
    await client.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    expect(stored()).toBe(before);
  });
});

describe('budgets on every path', () => {
  it('2,000 reports over MQTT/WebSocket from one key are cut to the app budget, and HTTP shares it', async () => {
    const { appReportsPerS } = { appReportsPerS: 100 }; // the default: bursts of 5 s, 500 reports
    const before = stored();
    const startedMs = Date.now();
    const client = await connectAsync(`${t.url.replace('http', 'ws')}/mqtt`, {
      clientId: 'app:shop:flood',
      username: 'app:shop',
      password: appKey,
      reconnectPeriod: 0,
    });
    const profile = clsWindowProfile(5, 60);
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        client.publishAsync(
          `ef/v1/${fleet}/app/shop/telemetry`,
          // A fresh client id per report: the per-key budget still holds.
          JSON.stringify(clsReport(`fake-${i}`, 1, profile)),
          { qos: 1 },
        ),
      ),
    );
    await client.endAsync();
    await new Promise((r) => setTimeout(r, 500));
    const elapsedS = (Date.now() - startedMs) / 1000;
    const got = stored() - before;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThanOrEqual(500 + Math.ceil(appReportsPerS * elapsedS));
    // The HTTP path draws on the same budget: spent now.
    const { body } = await post([clsReport('web-late', 1, profile)]);
    expect(body.results[0].reason).toBe('rate_limited');
  });
});
