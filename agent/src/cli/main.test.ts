import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/outbox';
import { ModelStore } from '../store/model-store';
import { writeState } from '../store/state-file';
import { CLS_MODEL_PATH, localModel } from '../testing/cls';

const BIN = fileURLToPath(new URL('../../bin/edgefleet-agent.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'agent-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('edgefleet-agent run', () => {
  it('serves its last good model without a server and on SIGTERM flushes the window into the outbox', async () => {
    const store = new ModelStore(dataDir);
    await store.init();
    const model = localModel(CLS_MODEL_PATH, '1.0.0');
    copyFileSync(CLS_MODEL_PATH, join(store.tmp, 'cls.partial'));
    await store.install(model.ref, join(store.tmp, 'cls.partial'), model.spec, undefined);
    await writeState(join(dataDir, 'state.json'), {
      appliedRev: 3,
      active: { name: 'cls', version: '1.0.0' },
      shadow: null,
      standby: null,
      shadowSampleRate: 1,
    });
    const child = spawn(
      process.execPath,
      [BIN, 'run', '--data-dir', dataDir, '--http-port', '0', '--threads', '1'],
      {
        env: { ...process.env, EDGEFLEET_AGENT_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const body = JSON.stringify({ dims: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0.25) });
    const answers = await Promise.all(
      Array.from({ length: 3 }, () =>
        fetch(`${url}/v1/infer?outputs=false`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const status = (await (await fetch(`${url}/v1/status`)).json()) as {
      appliedRev: number;
      enrolled: boolean;
    };
    expect(status).toMatchObject({ appliedRev: 3, enrolled: false });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const outbox = new Outbox(join(dataDir, 'telemetry.db'), 'unenrolled', 100);
    const reports = outbox
      .pending(10)
      .map((r) => JSON.parse(r.body) as { profile: { inferences: number }; model: unknown });
    outbox.close();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.model).toEqual({ name: 'cls', version: '1.0.0' });
    expect(reports[0]!.profile.inferences).toBe(3);
  }, 30_000);
});
