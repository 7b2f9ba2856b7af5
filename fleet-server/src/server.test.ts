import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyPath } from './fleet/signing-key';
import { CLS_MODEL_PATH, clsBaseline, startTestServer, type TestServer } from './testing/harness';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.dispose());

describe('system routes', () => {
  it('answers /healthz, /metrics, /openapi.json and /docs', async () => {
    expect(await (await t.call('/healthz', { headers: { authorization: '' } })).json()).toMatchObject({
      status: 'ok',
      db: 'ok',
    });
    await t.call('/api/v1/models');
    const metrics = await (await t.call('/metrics')).text();
    expect(metrics).toMatch(
      /edgefleet_http_requests_total\{method="GET",route="\/api\/v1\/models",status="200"\} 1/,
    );
    expect(metrics).toMatch(/edgefleet_db_rows\{table="devices"\} 0/);
    expect(metrics).toContain('edgefleet_http_request_duration_seconds_bucket');
    const doc = await (await t.call('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/artifacts/{sha256}',
        '/api/v1/models/{name}/versions',
        '/api/v1/enroll',
      ]),
    );
    expect(doc.components.securitySchemes).toHaveProperty('adminToken');
    const docs = await t.call('/docs');
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    expect(await docs.text()).toContain('/api/v1/enrollment-tokens');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.call('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('restart', () => {
  it('keeps the admin token, signing key, models and devices', async () => {
    const model = readFileSync(CLS_MODEL_PATH);
    const sha256 = createHash('sha256').update(model).digest('hex');
    expect((await t.call('/api/v1/artifacts', { method: 'POST', body: model })).status).toBe(201);
    const version = {
      name: 'cls',
      version: '1.0.0',
      sha256,
      sizeBytes: model.length,
      preprocessing: { kind: 'tensor', dtype: 'float32' },
      baseline: clsBaseline(),
      lineage: { createdBy: 'restart-test' },
    };
    const created = await (
      await t.call('/api/v1/models/cls/versions', { method: 'POST', json: version })
    ).json();
    const enrollmentToken = (
      await (await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: {} })).json()
    ).token;
    const enrolled = await (
      await t.call('/api/v1/enroll', {
        method: 'POST',
        json: {
          enrollmentToken,
          deviceId: 'dev-1',
          labels: {},
          capabilities: { platform: 'node', os: 'linux', arch: 'x64', backends: ['cpu'], cpuCount: 2 },
          agentVersion: '0.1.0',
        },
      })
    ).json();
    const keyBefore = (await (await t.call('/api/v1/fleet')).json()).signingKeys[0].kid;

    await t.restart();
    expect(t.server.adminToken).toBeNull();
    expect((await (await t.call('/api/v1/fleet')).json()).signingKeys[0].kid).toBe(keyBefore);
    expect(statSync(signingKeyPath(t.dataDir)).mode & 0o777).toBe(0o600);
    const again = await (await t.call('/api/v1/models/cls/versions/1.0.0')).json();
    expect(again.signature).toEqual(created.signature);
    const device = await t.call('/api/v1/device', {
      headers: { authorization: `Bearer ${enrolled.deviceToken}` },
    });
    expect(device.status).toBe(200);
    const download = await t.call(`/api/v1/artifacts/${sha256}`, { headers: { range: 'bytes=0-9' } });
    expect(download.status).toBe(206);
    expect(Buffer.from(await download.arrayBuffer()).equals(model.subarray(0, 10))).toBe(true);
    expect(readFileSync(join(t.dataDir, 'fleet.db')).length).toBeGreaterThan(0);
  });

  it('refuses to start when the signing key file is lost instead of minting a new key', async () => {
    const path = signingKeyPath(t.dataDir);
    renameSync(path, `${path}.bak`);
    await expect(t.restart()).rejects.toThrow(/signing key .* is missing/);
    renameSync(`${path}.bak`, path);
    await t.restart();
    expect((await t.call('/healthz')).status).toBe(200);
  });
});

describe('parts', () => {
  it('starts the parts that run something in order, the storage probe among them, and stops them on close', async () => {
    const s = await startTestServer({ storageProbeMs: 10 });
    try {
      const { parts, components, context } = s.server;
      expect(components.map((c) => c.name)).toEqual([
        'http',
        'models',
        'mqtt',
        'device-state',
        'telemetry',
        'automation',
        'samples',
        'rollouts',
        'alerts',
        'events',
        'storage',
        'artifacts',
      ]);
      // Every part, in the order their routes are mounted (the dashboard's catch-all last).
      expect(Object.keys(parts)).toEqual([
        'fleet',
        'artifacts',
        'models',
        'devices',
        'apps',
        'rollouts',
        'telemetry',
        'mqtt',
        'deviceState',
        'monitoring',
        'quality',
        'automation',
        'samples',
        'datasets',
        'downloads',
        'alerts',
        'events',
        'storage',
        'dashboard',
      ]);
      expect(components).toContain(parts.storage);
      expect(parts.storage.health).toBe(context.storage);
      let probes = 0;
      parts.storage.health.onState(() => probes++);
      for (let waited = 0; probes < 2 && waited < 5_000; waited += 10) await sleep(10);
      expect(probes).toBeGreaterThanOrEqual(2);
      await s.server.close();
      const afterClose = probes;
      await sleep(100);
      expect(probes).toBe(afterClose);
    } finally {
      await s.dispose();
    }
  });
});
