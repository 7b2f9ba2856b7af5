import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestDevice } from '../testing/enroll';
import { startTestServer, type TestServer } from '../testing/harness';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// The real `edgefleet` bin against a real server: login, devices, enrollment tokens, apps, and failures.

let t: TestServer;
const home = cliHome();
let env: Record<string, string>;
/** A port nothing listens on, and a server that is not EdgeFleet. */
let deadUrl: string;
let foreign: Server;
let foreignUrl: string;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  t = await startTestServer();
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  await enrollTestDevice(t, 'dev-a', { site: 'plant-a', zone: 'z1' });
  await enrollTestDevice(t, 'dev-b', { site: 'plant-b' });
  const closed = createServer();
  deadUrl = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  foreign = createServer((req, res) => {
    res.writeHead(req.url?.includes('/devices') ? 502 : 200, { 'content-type': 'text/html' });
    res.end('<html><body>Bad Gateway</body></html>');
  });
  foreignUrl = await listen(foreign);
});
afterAll(async () => {
  await t.dispose();
  await new Promise((resolve) => foreign.close(resolve));
  home.dispose();
});

describe('edgefleet login / logout', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('checks the token, saves it 0600, uses it only for its URL, and removes it', async () => {
    const wrong = await home.run(['login', '--url', t.url], { stdin: 'efa_not-a-real-token\n' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^edgefleet login: 401 unauthorized: .*\n/);
    expect(existsSync(home.config)).toBe(false);

    const ok = await home.run(['login', '--url', `${t.url}/`, '--json'], { stdin: `${t.adminToken}\n` });
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ok.stdout)).toEqual({ url: t.url, config: home.config });
    expect(statSync(home.config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(home.config, 'utf8'))).toEqual({ url: t.url, token: t.adminToken });

    const [saved, elsewhere, flagOverEnv, envOverFile] = await Promise.all([
      home.json<{ total: number }>(['device', 'list']),
      home.run(['device', 'list', '--url', deadUrl]),
      home.run(['device', 'list', '--url', t.url, '--json'], { env: { EDGEFLEET_URL: deadUrl } }),
      home.run(['device', 'list'], { env: { EDGEFLEET_ADMIN_TOKEN: 'efa_wrong' } }),
    ]);
    expect(saved.total).toBe(2);
    expect(elsewhere.code).toBe(3); // the saved token is never sent to another server
    expect(elsewhere.stderr).toContain(`no admin token for ${deadUrl}`);
    expect(flagOverEnv.code).toBe(0);
    expect(envOverFile.code).toBe(3);
    expect(envOverFile.stderr).toContain('401 unauthorized');

    const out = await home.run(['logout']);
    expect(out).toMatchObject({ code: 0, stdout: `Logged out; removed ${home.config}\n` });
    expect(existsSync(home.config)).toBe(false);
    const [none, noStdinToken] = await Promise.all([
      home.run(['device', 'list']),
      home.run(['login', '--url', t.url], { stdin: '' }),
    ]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("run 'edgefleet login'");
    expect(noStdinToken.code).toBe(2);

    mkdirSync(dirname(home.config), { recursive: true });
    writeFileSync(home.config, '{"url": "http://x", "tok');
    const malformed = await home.run(['device', 'list']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe(
      `edgefleet device list: config file ${home.config} is not JSON; run 'edgefleet login' again or remove it\n`,
    );
    rmSync(home.config);
  });
});

describe('edgefleet device', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('lists by selector and presence, labels, disables, enables, deletes', async () => {
    const [plantA, online, table] = await Promise.all([
      home.json<{ devices: { id: string }[]; total: number }>(
        ['device', 'list', '--selector', 'site=plant-a'],
        env,
      ),
      home.json<{ total: number }>(['device', 'list', '--online'], env),
      home.run(['device', 'list'], { env }),
    ]);
    expect(plantA.devices.map((d) => d.id)).toEqual(['dev-a']);
    expect(online.total).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+STATE\s+ACTIVE\s+LABELS\s+LAST SEEN\n/);
    expect(table.stdout).toMatch(/dev-a\s+offline\s+-\s+site=plant-a,zone=z1/);

    const labelled = await home.json<{ labels: Record<string, string> }>(
      ['device', 'label', 'dev-a', 'line=3', 'site-', '--remove', 'zone'],
      env,
    );
    expect(labelled.labels).toEqual({ line: '3' });
    const disabled = await home.json<{ disabled: boolean }>(['device', 'disable', 'dev-b'], env);
    expect(disabled.disabled).toBe(true);
    const [enabled, hostileLabel, badKey, badSelector, missing] = await Promise.all([
      home.run(['device', 'enable', 'dev-b'], { env }),
      home.run(['device', 'label', 'dev-a', 'note=\u001b[31mred'], { env }),
      home.run(['device', 'label', 'dev-a', 'bad key!=x'], { env }),
      home.run(['device', 'list', '--selector', 'site in ('], { env }),
      home.run(['device', 'show', 'nope'], { env }),
    ]);
    expect(enabled.stdout).toMatch(/^state\s+offline$/m);
    expect(hostileLabel.stdout).toContain('note=\\x1b[31mred'); // escaped, never sent to the terminal raw
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('400 invalid_input');
    expect(badSelector.code).toBe(1);
    expect(missing).toMatchObject({ code: 4 });
    expect(missing.stderr).toMatch(/^edgefleet device show: 404 not_found: .+\n$/);

    expect(await home.json(['device', 'delete', 'dev-b'], env)).toEqual({ deleted: 'dev-b' });
    expect((await t.call('/api/v1/devices/dev-b')).status).toBe(404);
  });
});

describe('edgefleet enroll-token and app', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('creates (shown once), lists and revokes enrollment tokens', async () => {
    const created = await home.json<{ id: string; token: string; maxUses: number; expiresAt: number }>(
      ['enroll-token', 'create', '--label', 'site=plant-a', '--expires', '24h', '--max-uses', '5'],
      env,
    );
    expect(created.token).toMatch(/^[a-z]{3}_\S{20,}$/);
    expect(created.maxUses).toBe(5);
    expect(created.expiresAt - t.clock.nowMs).toBe(86_400_000);
    const [human, list, badExpiry, unknown] = await Promise.all([
      home.run(['enroll-token', 'create'], { env }),
      home.json<{ tokens: Record<string, unknown>[] }>(['enroll-token', 'list'], env),
      runInProcess(['enroll-token', 'create', '--expires', 'soon'], env),
      home.run(['enroll-token', 'revoke', 'nope'], { env }),
    ]);
    expect(human.stdout).toMatch(
      /^Enrollment token \(shown once, keep it now\):\n {2}[a-z]{3}_\S{20,}\n {2}id\s/,
    );
    expect(list.tokens.length).toBeGreaterThanOrEqual(2);
    expect(list.tokens.every((tok) => !('token' in tok) && !('tokenHash' in tok))).toBe(true);
    expect(badExpiry).toMatchObject({ code: 2 });
    expect(badExpiry.stderr).toContain("--expires: expected a duration like 90s, 30m, 24h or 7d, got 'soon'");
    expect(unknown.code).toBe(4);
    const revoked = await home.json<{ revokedAt: number | null }>(
      ['enroll-token', 'revoke', created.id],
      env,
    );
    expect(revoked.revokedAt).not.toBeNull();
  });

  it('creates apps (prints the publishable key) and lists them', async () => {
    const app = await home.json<{ id: string; publishableKey: string; allowedOrigins: string[] }>(
      ['app', 'create', '--name', 'Shop', '--id', 'shop', '--origin', 'https://shop.example.com'],
      env,
    );
    expect(app).toMatchObject({ id: 'shop', allowedOrigins: ['https://shop.example.com'] });
    const [dup, badOrigin, noName, list] = await Promise.all([
      home.run(['app', 'create', '--name', 'Shop', '--id', 'shop'], { env }),
      home.run(['app', 'create', '--name', 'X', '--origin', 'javascript:alert(1)'], { env }),
      runInProcess(['app', 'create'], env),
      home.run(['app', 'list'], { env }),
    ]);
    expect(dup.code).toBe(5);
    expect(dup.stderr).toContain('409 conflict');
    expect(badOrigin.code).toBe(1);
    expect(badOrigin.stderr).toMatch(
      /\n {2}allowedOrigins\.0: expected an origin like https:\/\/shop\.example\.com\n/,
    );
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name is required');
    expect(list.stdout).toMatch(
      new RegExp(`shop\\s+Shop\\s+active\\s+${app.publishableKey}\\s+https://shop.example.com`),
    );
  });
});

describe('edgefleet usage and failures', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('documents exit codes and answers bad input, dead and foreign servers with one line', async () => {
    const [help, unknown, unknownSub, badFlag, dead, notOurs, badUrl, groupHelp] = await Promise.all([
      home.run(['help']),
      home.run(['frobnicate']),
      runInProcess(['device', 'lsit'], env),
      runInProcess(['device', 'list', '--bogus'], env),
      home.run(['device', 'list', '--url', deadUrl, '--token', 'x']),
      home.run(['device', 'list', '--url', foreignUrl, '--token', 'x']),
      runInProcess(['app', 'list', '--url', 'ftp://example.com', '--token', 'x'], {}),
      home.run(['model']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:\n  0  ok\n  1  the server refused');
    expect(help.stdout).toContain('4  not found (404)');
    expect(unknown.code).toBe(2);
    expect(unknownSub.code).toBe(2);
    expect(unknownSub.stderr).toContain("unknown command 'lsit'");
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--bogus'");
    expect(dead.code).toBe(3);
    expect(dead.stderr).toMatch(
      /^edgefleet device list: cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*\n$/,
    );
    expect(notOurs.code).toBe(6);
    expect(notOurs.stderr).toContain('502 Bad Gateway from the server (not an EdgeFleet error body)');
    expect(badUrl.code).toBe(2);
    for (const run of [unknownSub, badFlag, dead, notOurs, badUrl])
      expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(groupHelp).toMatchObject({ code: 2 });
    expect(groupHelp.stdout).toContain('Usage: edgefleet model <command>');
  });
});
