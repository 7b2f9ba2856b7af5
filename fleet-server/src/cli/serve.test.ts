import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/edgefleet.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function serveOnce(): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--http-port', '0', '--mqtt-port', '0', '--data-dir', dataDir],
    {
      env: { ...process.env, EDGEFLEET_LOG_LEVEL: 'warn', EDGEFLEET_HTTP_HOST: '127.0.0.1' },
    },
  );
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start: ${stdout}`));
    }, 15_000);
    child.stdout.on('data', async (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /http {2}(http:\/\/\S+)/.exec(stdout)?.[1];
      if (url && stdout.includes('data ')) {
        clearTimeout(timer);
        const health = await fetch(`${url}/healthz`).catch(() => null);
        stdout += `\nhealth=${health?.status}`;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => resolve({ stdout, code }));
  });
}

describe('edgefleet serve', () => {
  it('prints ports and the admin token once, and exits cleanly on SIGTERM', async () => {
    const first = await serveOnce();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Admin token .*\n\s+efa_\S+/);
    expect(first.stdout).toContain('health=200');
    const second = await serveOnce();
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('efa_');
  });
});
