// Issue 19 item 11: `model push` survives a busy server and a register answer lost on a closed connection.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import type { CliIo } from './io';
import { main } from './main';

let t: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'edgefleet-cli-retry-'));

beforeAll(async () => {
  t = await startTestServer();
  writeFileSync(join(dir, 'pre.json'), JSON.stringify(CLS_PREPROCESSING));
  writeFileSync(join(dir, 'baseline.json'), JSON.stringify(clsBaseline()));
});
afterAll(async () => {
  await t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('edgefleet model push against a busy or dropping server', () => {
  it('retries a 503 and a lost answer, and takes the version the lost attempt registered as its own', async () => {
    const registerCalls: string[] = [];
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (init?.method !== 'POST' || !url.endsWith('/api/v1/models/cls/versions')) return fetch(input, init);
      registerCalls.push(url);
      if (registerCalls.length === 1) {
        const body = {
          error: 'baseline_busy',
          message: '1 model job(s) are running',
          details: { retryAfterS: 1 },
        };
        return new Response(JSON.stringify(body), {
          status: 503,
          headers: { 'content-type': 'application/json' },
        });
      }
      if (registerCalls.length === 2) {
        // The server registers the version, and the answer is lost: what "other side closed" did after a long
        // local baseline.
        await (await fetch(input, init)).arrayBuffer();
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
        });
      }
      return fetch(input, init);
    };
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      out: (s) => {
        stdout += s;
      },
      err: (s) => {
        stderr += s;
      },
      fetch: flaky,
    };
    const argv = ['model', 'push', CLS_MODEL_PATH, '--name', 'cls', '--version', '1.0.0'];
    argv.push('--preprocessing', `@${join(dir, 'pre.json')}`, '--baseline', join(dir, 'baseline.json'));
    const code = await main(
      argv,
      {
        EDGEFLEET_URL: t.url,
        EDGEFLEET_ADMIN_TOKEN: t.adminToken,
        EDGEFLEET_CONFIG: join(dir, 'config.json'),
      },
      io,
    );
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(registerCalls).toHaveLength(3);
    expect(stderr).toMatch(/register cls@1\.0\.0: 503 baseline_busy: .*; trying again in 1 s \(1\/4\)/);
    expect(stderr).toMatch(
      /register cls@1\.0\.0: network: .*other side closed.*; trying again in 2 s \(2\/4\)/,
    );
    expect(stdout).toContain('Pushed cls@1.0.0');
    expect((await t.call('/api/v1/models/cls/versions')).status).toBe(200);
    const { versions } = (await (await t.call('/api/v1/models/cls/versions')).json()) as {
      versions: unknown[];
    };
    expect(versions).toHaveLength(1);
  }, 60_000);
});
