import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningAgent } from '@edgefleet/agent';
import { importPrivateJwk, type ModelRef, signManifest } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import {
  type InferBody,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  stripesPng,
  until,
  upload,
} from './fleet';

const ZEROS = { dims: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) };

async function inferJson(agent: RunningAgent, body: unknown) {
  const res = await fetch(`${agent.url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as InferBody };
}

describe('agent deployments', () => {
  let t: TestServer;
  let agent: RunningAgent;
  let dataDir: string;
  let v1: ModelRef;
  let goldenOk: unknown;

  const apply = async (
    models: Parameters<typeof publishDesired>[2],
    golden: 'if_present' | 'required' = 'if_present',
  ) => {
    const desired = await publishDesired(t, 'station-d', models, {
      policies: { golden, shadowSampleRate: 1 },
    });
    await until(() => agent.reportedRev() === desired.rev, 20_000, `rev ${desired.rev}`);
    return agent.lastErrors();
  };

  beforeAll(async () => {
    t = await startTestServer();
    v1 = await registerCls(t, '1.0.0');
    ({ agent, dataDir } = await startEnrolledAgent(t, 'station-d'));
    await until(() => agent.link?.connected, 10_000, 'mqtt connect');
    expect(await apply({ active: v1 })).toEqual([]);
    const zeros = await inferJson(agent, ZEROS);
    expect(zeros.status).toBe(200);
    goldenOk = {
      format: 'edgefleet.golden',
      v: 1,
      inputs: { x: { dtype: 'float32', ...ZEROS } },
      outputs: {
        'softmax_0.tmp_0': {
          dtype: 'float32',
          dims: [1, 2],
          data: zeros.body.outputs['softmax_0.tmp_0']!.data,
        },
      },
      tolerance: { abs: 1e-4, rel: 1e-3 },
    };
  });
  afterAll(async () => {
    await agent?.close();
    await t.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('switches to a golden-checked second version under continuous load without losing a request', async () => {
    const v2 = await registerCls(t, '2.0.0', goldenOk);
    const png = await stripesPng();
    let stop = false;
    const seen: string[] = [];
    const failures: number[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: png,
        });
        if (res.status !== 200) failures.push(res.status);
        else seen.push(((await res.json()) as { model: { version: string } }).model.version);
      }
    });
    await new Promise((r) => setTimeout(r, 100));
    const errors = await apply({ active: v2, standby: v1 }, 'required');
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(load);
    expect(errors).toEqual([]);
    expect(failures).toEqual([]);
    expect(seen).toContain('1.0.0');
    expect(seen.at(-1)).toBe('2.0.0');
    // Rollback is a pointer switch: v1 stayed loaded as standby.
    const standby = agent.engine.current.standby;
    expect(standby?.id.version).toBe('1.0.0');
    await apply({ active: v1, standby: v2 });
    expect(agent.engine.current.active).toBe(standby);
  });

  it('never serves a corrupted artifact, a bad signature, an unloadable model or a failed golden check', async () => {
    const before = agent.engine.current.active;
    expect(before?.id.version).toBe('1.0.0');

    // Bad signature: one signature byte changed.
    const v3 = await registerCls(t, '3.0.0');
    const sig = v3.signature.value;
    const badSig = {
      ...v3,
      signature: { ...v3.signature, value: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) },
    };
    let errors = await apply({ active: badSig });
    expect(errors).toMatchObject([{ step: 'verify_signature', model: { version: '3.0.0' } }]);

    // Corrupted artifact: the bytes on the server's disk no longer match the signed sha256.
    const v4 = await registerCls(t, '4.0.0');
    const file = join(t.dataDir, 'artifacts', 'sha256', v4.manifest.sha256.slice(0, 2), v4.manifest.sha256);
    const orig = readFileSync(file);
    const corrupt = Buffer.from(orig);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
    writeFileSync(file, corrupt);
    try {
      errors = await apply({ active: { ...v4, manifest: { ...v4.manifest, version: '4.0.0' } } });
    } finally {
      writeFileSync(file, orig);
    }
    expect(errors).toMatchObject([{ step: 'verify_sha256' }]);

    // The server refuses unloadable models and wrong golden pairs at registration, so these two are
    // signed here with the fleet's own key (what a compromised or buggy registry could send).
    const key = await importPrivateJwk(
      JSON.parse(readFileSync(join(t.dataDir, 'keys', 'fleet-signing-key.jwk'), 'utf8')),
    );
    if (!key.ok) throw new Error(key.error.message);
    const wrong = structuredClone(goldenOk) as { outputs: Record<string, { data: number[] }> };
    wrong.outputs['softmax_0.tmp_0']!.data = [2, -1];
    // Any upload kind serves as bytes to download; a golden-format file is not an ONNX model.
    const junk = await upload(t, Buffer.from(JSON.stringify(wrong)), 'golden');
    const selfSigned = async (
      version: string,
      over: Partial<ModelRef['manifest']>,
      refOver: Partial<ModelRef> = {},
    ) => {
      const signed = await signManifest({ ...v1.manifest, version, ...over }, key.value.key, key.value.keyId);
      return { ...v1, ...signed, ...refOver } as ModelRef;
    };
    const v5 = await selfSigned(
      '5.0.0',
      { sha256: junk.sha256, sizeBytes: junk.sizeBytes },
      { artifactUrl: `/api/v1/artifacts/${junk.sha256}` },
    );
    errors = await apply({ active: v5 });
    expect(errors).toMatchObject([{ step: 'load', model: { version: '5.0.0' } }]);

    // A golden pair that the model does not reproduce.
    const v6 = await selfSigned(
      '6.0.0',
      { goldenSha256: junk.sha256 },
      { goldenUrl: `/api/v1/artifacts/${junk.sha256}` },
    );
    errors = await apply({ active: v6 });
    expect(errors).toMatchObject([{ step: 'golden', model: { version: '6.0.0' } }]);

    // Through all of it the previous version kept serving, and the server heard why.
    expect(agent.engine.current.active).toBe(before);
    expect((await inferJson(agent, ZEROS)).body.model.version).toBe('1.0.0');
    const device = (await (await t.call('/api/v1/devices/station-d')).json()) as Record<string, unknown>;
    expect(JSON.stringify(device)).toContain('golden');
  });

  it('rejects hostile input with 4xx and counts it, and stays up', async () => {
    const cases: [string, BodyInit, number][] = [
      ['application/json', '{not json', 400],
      ['application/json', JSON.stringify({ dims: [1, 3, 48], data: [1, 2, 3] }), 400],
      ['application/json', JSON.stringify({ dims: [1, 3, 48, 192], data: [1] }), 400],
      ['application/json', JSON.stringify({ dims: [1, 3, 4, 4], data: new Array(48).fill(0) }), 400],
      ['application/json', JSON.stringify({ ...ZEROS, dtype: 'uint8' }), 400],
      ['application/json', JSON.stringify({ dims: [1], data: ['x'] }), 400],
      ['application/json', JSON.stringify({ __proto__: { dims: [1] } }), 400],
      [
        'image/png',
        Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('broken')]),
        400,
      ],
      ['image/jpeg', Buffer.from('GIF89a'), 415],
      ['text/plain', 'hello', 415],
      ['image/png', Buffer.alloc(17 * 1024 * 1024), 413],
    ];
    const before = { ...agent.engine.counters.rejected };
    for (const [type, body, status] of cases) {
      const res = await fetch(`${agent.url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      expect(res.status, `${type} ${String(body).slice(0, 40)}`).toBe(status);
      const json = (await res.json()) as { message: string };
      expect(json.message.length).toBeGreaterThan(5);
    }
    const after = agent.engine.counters.rejected;
    const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    expect(total(after) - total(before)).toBe(cases.length);
    expect((await inferJson(agent, ZEROS)).status).toBe(200);
  });
});
