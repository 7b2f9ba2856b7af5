// Issue 18 items 7 and 8 (agent side), with real agent processes: an installed model changed on disk is never
// served after a restart; the local API refuses foreign Host and Origin headers (DNS rebinding); enrollment over
// plain http to another host needs a pinned fleet key.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelRef } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../agent/src/store/model-store';
import { writeState } from '../../agent/src/store/state-file';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { CLS_MODEL_PATH, publishDesired, registerCls, stripesPng, until } from '../agent/fleet';
import { type ManagedProcess, runBin, spawnBin } from '../lifecycle/processes';

const AGENT = 'agent/bin/edgefleet-agent.js';
let t: TestServer;
let v1: ModelRef;
let v2: ModelRef;
const root = mkdtempSync(join(tmpdir(), 'edgefleet-sec-agent-'));
const running: ManagedProcess[] = [];

interface Status {
  connected: boolean;
  running: { active: { version: string } | null };
  errors: { step: string; message: string }[];
}

async function startRun(dataDir: string, extra: string[] = []) {
  const p = spawnBin('agent', AGENT, [
    ...['run', '--data-dir', dataDir, '--http-port', '0', '--threads', '1', '--log-level', 'warn'],
    ...['--reconnect-max-ms', '1000', ...extra],
  ]);
  running.push(p);
  const url = (await p.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
  return { p, url, status: async () => (await (await fetch(`${url}/v1/status`)).json()) as Status };
}

async function enrollToken(): Promise<string> {
  return (await (await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: {} })).json()).token;
}

/** A raw request with any Host and Origin headers (fetch would not send a foreign Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await startTestServer();
  v1 = await registerCls(t, '1.0.0');
  v2 = await registerCls(t, '1.0.1');
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop(2_000)));
  await t.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('the agent after a restart', () => {
  it('quarantines a model changed on disk, serves the previous good version, reports it and reinstalls', async () => {
    const dataDir = join(root, 'st-1');
    const enrolled = await runBin('enroll', AGENT, [
      ...[
        'enroll',
        '--server',
        t.url,
        '--token',
        await enrollToken(),
        '--device-id',
        'st-1',
        '--data-dir',
        dataDir,
      ],
    ]);
    expect(enrolled.code, enrolled.output).toBe(0);
    // The store as two earlier deployments left it (1.0.0, then 1.0.1 active), installed as the agent does.
    const store = new ModelStore(dataDir);
    await store.init();
    for (const ref of [v1, v2]) {
      const spec = await (await t.call(ref.profileSpecUrl)).json();
      copyFileSync(CLS_MODEL_PATH, store.partialPath(ref.manifest.sha256));
      await store.install(ref, store.partialPath(ref.manifest.sha256), spec, undefined);
      await new Promise((r) => setTimeout(r, 20)); // distinct install times: 1.0.1 is the newer
    }
    await writeState(join(dataDir, 'state.json'), {
      appliedRev: 0,
      active: { name: 'cls', version: '1.0.1' },
      shadow: null,
      standby: null,
      shadowSampleRate: 1,
    });
    await publishDesired(t, 'st-1', { active: v2 });

    // One flipped byte in the middle of the installed file.
    const modelFile = join(dataDir, 'models', 'cls@1.0.1', 'model.onnx');
    const bytes = readFileSync(modelFile);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(modelFile, bytes);

    // Offline (no broker): the changed version is never served, the previous one is.
    let agent = await startRun(dataDir, ['--mqtt-url', 'mqtt://127.0.0.1:1']);
    const offline = await agent.status();
    expect(offline.running.active?.version).toBe('1.0.0');
    expect(offline.errors[0]).toMatchObject({ step: 'verify_sha256' });
    expect(offline.errors[0]!.message).toMatch(/cls@1\.0\.1 changed on disk.*serving cls@1\.0\.0/);
    expect(existsSync(join(dataDir, 'models', 'cls@1.0.1'))).toBe(false);
    expect(readdirSync(join(dataDir, 'models', '.quarantine'))[0]).toMatch(/^cls@1\.0\.1\./);
    const inferred = await fetch(`${agent.url}/v1/infer?outputs=false`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: await stripesPng(),
    });
    expect(inferred.status).toBe(200);
    expect((await inferred.json()).model).toMatchObject({ version: '1.0.0' });
    await agent.p.stop();

    // Online: the fleet's desired state installs a verified copy again, and the fleet sees what happened.
    agent = await startRun(dataDir);
    await until(async () => (await agent.status()).running.active?.version === '1.0.1', 30_000, 'reinstall');
    const device = await until(
      async () => {
        const d = await (await t.call('/api/v1/devices/st-1')).json();
        return d.reportedState?.errors?.some((e: { step: string }) => e.step === 'verify_sha256') ? d : null;
      },
      15_000,
      'the restore error at the server',
    );
    expect(JSON.stringify(device.reportedState.errors)).toMatch(/changed on disk/);

    // The local API: a rebinding host name or a foreign page's origin is refused; station software is not.
    const { port } = new URL(agent.url);
    const status = `${agent.url}/v1/status`;
    expect(await rawGet(status, { host: `rebind.attacker.example:${port}` })).toBe(403);
    expect(await rawGet(status, { host: `localhost:${port}`, origin: 'https://attacker.example' })).toBe(403);
    expect(await rawGet(status, { host: `127.0.0.1:${port}`, origin: 'null' })).toBe(403);
    expect(await rawGet(status, { host: `localhost:${port}` })).toBe(200);
    expect(await rawGet(status, { host: `127.0.0.1:${port}`, origin: 'http://localhost:3000' })).toBe(200);
    await agent.p.stop();
  });
});

describe('enrollment transport', () => {
  it('refuses plain http to another host without a pinned key, and a pinned key that does not match', async () => {
    const remote = await runBin('enroll', AGENT, [
      ...['enroll', '--server', 'http://10.255.255.1:9', '--token', 'efe_xxxxxxxxxxxxxxxxxxxx'],
      ...['--device-id', 'st-9', '--data-dir', join(root, 'st-9')],
    ]);
    expect(remote.code).toBe(1);
    expect(remote.output).toMatch(/refusing to enroll over plain http:/);
    const kid = (await (await t.call('/api/v1/fleet')).json()).signingKeys[0].kid as string;
    const wrong = await runBin('enroll', AGENT, [
      ...['enroll', '--server', t.url, '--token', await enrollToken(), '--device-id', 'st-8'],
      ...['--data-dir', join(root, 'st-8'), '--fleet-key-sha256', 'A'.repeat(43)],
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/is not the pinned/);
    expect(existsSync(join(root, 'st-8', 'enrollment.json'))).toBe(false);
    const pinned = await runBin('enroll', AGENT, [
      ...['enroll', '--server', t.url, '--token', await enrollToken(), '--device-id', 'st-7'],
      ...['--data-dir', join(root, 'st-7'), `--fleet-key-sha256=${kid}`],
    ]);
    expect(pinned.code, pinned.output).toBe(0);
  });
});
