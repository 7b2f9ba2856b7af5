import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';
import type { CliIo } from './io';
import { main } from './main';

// The terminal path of `edgefleet login` (a child process has no terminal): a fake TTY stdin in raw mode.

let t: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'edgefleet-login-'));
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function terminal(typed: string) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] });
  Object.assign(stdin, {
    setRawMode(on: boolean) {
      stdin.rawModes.push(on);
      return stdin;
    },
  });
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    fetch,
    stdin: stdin as unknown as NodeJS.ReadStream,
  };
  setTimeout(() => stdin.write(typed), 20);
  return { io, out, err, stdin };
}

describe('edgefleet login on a terminal', () => {
  it('prompts without echo, handles backspace, and restores the terminal', async () => {
    const config = join(dir, 'config.json');
    const tty = terminal(`x\u007f${t.adminToken}\r`);
    const code = await main(['login', '--url', t.url], { EDGEFLEET_CONFIG: config }, tty.io);
    expect(code).toBe(0);
    expect(tty.err.join('')).toBe('Admin token: \n');
    expect(tty.out.join('')).toBe(`Logged in to ${t.url}; token saved to ${config}\n`);
    expect(tty.stdin.rawModes).toEqual([true, false]);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url: t.url, token: t.adminToken });
  });

  it('aborts on Ctrl-C with a usage error and writes nothing', async () => {
    const config = join(dir, 'aborted.json');
    const tty = terminal('efa_partial\u0003');
    expect(await main(['login', '--url', t.url], { EDGEFLEET_CONFIG: config }, tty.io)).toBe(2);
    expect(tty.err.join('')).toBe('Admin token: \nedgefleet login: aborted\n');
    expect(tty.stdin.rawModes).toEqual([true, false]);
    expect(() => readFileSync(config)).toThrow();
  });
});
