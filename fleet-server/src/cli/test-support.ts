import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from './io';
import { main } from './main';

// Runs the real `edgefleet` bin as a child process, for the CLI tests (never spawnSync: the test server
// answering it runs in the test's own event loop).

/** Per test of several bin runs: each spawn costs ~0.4 s CPU, much more on a loaded machine. */
export const BIN_TEST_TIMEOUT_MS = 90_000;

const BIN = fileURLToPath(new URL('../../bin/edgefleet.js', import.meta.url));

/** What one run of the bin did. */
export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A temp home for the CLI: its config file path and a cleanup. */
export interface CliHome {
  dir: string;
  config: string;
  /** Runs `edgefleet …args` with EDGEFLEET_CONFIG in this home and only the env given (plus PATH). */
  run(args: readonly string[], options?: { env?: Record<string, string>; stdin?: string }): Promise<BinRun>;
  /** Runs with `--json` appended and parses stdout (throws with stderr when it is not JSON). */
  json<T = Record<string, unknown>>(args: readonly string[], env?: Record<string, string>): Promise<T>;
  dispose(): void;
}

/** A fresh CLI home in a temp dir. */
export function cliHome(): CliHome {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-cli-home-'));
  const config = join(dir, 'edgefleet', 'config.json');
  const home: CliHome = {
    dir,
    config,
    run(args, options = {}) {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, EDGEFLEET_CONFIG: config, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdin.end(options.stdin ?? '');
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`edgefleet ${args.join(' ')} timed out; stderr: ${stderr}`));
        }, 30_000);
        child.once('error', reject);
        child.once('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    async json(args, env) {
      const result = await home.run([...args, '--json'], env ? { env } : {});
      try {
        return JSON.parse(result.stdout);
      } catch {
        throw new Error(
          `edgefleet ${args.join(' ')} → ${result.code}, not JSON: ${result.stdout}${result.stderr}`,
        );
      }
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  return home;
}

/**
 * Runs `main` in this process with captured output: for failures the CLI finds before any request (the
 * bin's own start-up and exit codes are covered by the spawned runs).
 */
export async function runInProcess(argv: readonly string[], env: Record<string, string>): Promise<BinRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    fetch,
  };
  const code = await main(argv, env, io);
  return { code, stdout, stderr };
}
