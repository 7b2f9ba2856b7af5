// Issue 18 item 8 (files and secrets) and issue 19 item 12 (the first admin token), with the real CLI process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../fleet-server/bin/edgefleet.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'edgefleet-secrets-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
const env = { ...process.env, EDGEFLEET_LOG_LEVEL: 'warn', EDGEFLEET_HTTP_HOST: '127.0.0.1' };

/** Starts `edgefleet serve`; resolves with its URL and stdout once the banner is out, or its exit code. */
function serve(
  args: string[],
): Promise<{ url?: string; stdout: string; code?: number | null; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--mqtt-port', '0', ...args], { env });
  children.add(child);
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /http {2}(http:\/\/\S+)/.exec(stdout)?.[1];
      if (url && stdout.includes('data ') && /\n$/.test(stdout)) {
        clearTimeout(timer);
        setTimeout(() => resolve({ url, stdout, child }), 100);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ stdout, code, child });
    });
  });
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const fleetWith = (url: string, token: string) =>
  fetch(`${url}/api/v1/fleet`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

describe('files and secrets of the server', () => {
  it('a failed first start burns no admin token; the token goes to a 0600 file and only its path is printed', async () => {
    const dataDir = join(root, 'fleet');
    const tokenFile = join(root, 'admin-token');
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as { port: number }).port;
    const failed = await serve([
      '--data-dir',
      dataDir,
      '--http-port',
      String(busyPort),
      '--admin-token-file',
      tokenFile,
    ]);
    busy.close();
    expect(failed.code).toBe(1);
    expect(existsSync(tokenFile)).toBe(false);

    const started = await serve(['--data-dir', dataDir, '--http-port', '0', '--admin-token-file', tokenFile]);
    expect(started.url).toBeDefined();
    expect(started.stdout).not.toMatch(/efa_/);
    expect(started.stdout).toContain(`written to ${tokenFile}`);
    expect(mode(tokenFile)).toBe(0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^efa_/);
    expect(await fleetWith(started.url!, token)).toBe(200);

    // The data dir and the database files are the owner's only (key hashes, telemetry).
    expect(mode(dataDir)).toBe(0o700);
    for (const file of ['fleet.db', 'fleet.db-wal', 'fleet.db-shm']) {
      expect(mode(join(dataDir, file)), file).toBe(0o600);
    }

    // With access to the data dir, a new admin token can be minted while the server runs.
    const second = join(root, 'second-token');
    const minted = await cli([
      'admin-token',
      'create',
      '--data-dir',
      dataDir,
      '--label',
      'ops',
      '--admin-token-file',
      second,
    ]);
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stdout).not.toMatch(/efa_/);
    expect(mode(second)).toBe(0o600);
    expect(await fleetWith(started.url!, readFileSync(second, 'utf8').trim())).toBe(200);
    const printed = await cli(['admin-token', 'create', '--data-dir', dataDir]);
    const printedToken = /efa_\S+/.exec(printed.stdout)?.[0];
    expect(printedToken).toBeDefined();
    expect(await fleetWith(started.url!, printedToken!)).toBe(200);
    expect((await cli(['admin-token', 'create', '--data-dir', join(root, 'nothing')])).code).toBe(2);
    await stop(started.child);

    // A later start creates nothing and prints no token.
    const later = await serve(['--data-dir', dataDir, '--http-port', '0', '--admin-token-file', tokenFile]);
    expect(later.stdout).not.toMatch(/efa_|written to/);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    await stop(later.child);
  });
});
