// Child processes for system tests: spawn a bin, wait for a printed line, stop it cleanly, keep its output.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root (bins are given relative to it). */
export const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), '../..');

const MAX_OUTPUT_CHARS = 200_000;

/** A child process with its collected output. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** stdout and stderr as they came (the last {@link MAX_OUTPUT_CHARS} characters). */
  output(): string;
  /** Resolves to the first match of `pattern` in the output; rejects on exit or timeout (with the output). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. Safe to call twice. */
  stop(graceMs?: number): Promise<number | string>;
  /** `name (pid): last lines of output`, for failure messages. */
  describe(lines?: number): string;
}

/** Starts `node <bin> ...args` in the workspace root; output is collected, nothing inherits the terminal. */
export function spawnBin(
  name: string,
  bin: string,
  args: readonly string[],
  env: Record<string, string> = {},
): ManagedProcess {
  const child = spawn(process.execPath, [join(WORKSPACE, bin), ...args], {
    cwd: WORKSPACE,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_OUTPUT_CHARS) output = output.slice(-MAX_OUTPUT_CHARS);
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let ended: number | string | null = null;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = code ?? signal ?? 'unknown';
      for (const listener of listeners) listener();
      resolve(ended);
    });
  });
  const describe = (lines = 30) =>
    `${name} (pid ${child.pid}${ended === null ? '' : `, exited ${ended}`}):\n${output.split('\n').slice(-lines).join('\n')}`;

  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (match) return done(() => resolve(match));
        if (ended !== null) return done(() => reject(new Error(`waiting for ${pattern}: ${describe()}`)));
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}: ${describe()}`)),
          ),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  let stopping: Promise<number | string> | null = null;
  const stop = (graceMs = 10_000) => {
    stopping ??= (async () => {
      if (ended !== null) return ended;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    })();
    return stopping;
  };
  return { name, child, output: () => output, waitFor, exited, stop, describe };
}

/** Runs a bin to its end; resolves with its exit code and output, rejects after `timeoutMs`. */
export async function runBin(
  name: string,
  bin: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | string; output: string }> {
  const p = spawnBin(name, bin, args);
  const timer = setTimeout(() => void p.stop(1_000), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

/** Stops every process at once (SIGTERM each, SIGKILL the ones still there after `graceMs`). */
export async function stopAll(processes: readonly ManagedProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(processes.map((p) => p.stop(graceMs)));
}
