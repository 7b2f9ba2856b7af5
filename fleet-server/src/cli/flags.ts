import { readFile, stat } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io';

// Flag parsing shared by the admin commands: the common flags, JSON values given inline or as @file,
// durations, k=v labels and NAME@VERSION.

/** Flags every admin command takes. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** The common flags as the usage texts show them. */
export const COMMON_FLAGS_HELP =
  'Common flags: --url URL (EDGEFLEET_URL, saved login, default http://127.0.0.1:8080), --token TOKEN\n' +
  '  (EDGEFLEET_ADMIN_TOKEN, saved login), --json (machine-readable output on stdout)\n';

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` in strict mode with the common flags; its errors become usage errors showing `usage`. */
export function parseFlags<O extends Options>(args: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { ...COMMON_OPTIONS, ...options } as typeof COMMON_OPTIONS & O,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\s+To specify.*$/s, ''), usage);
  }
}

const MAX_JSON_FILE_BYTES = 1024 * 1024;

/** A JSON flag value given inline (`'{"a":1}'`) or as `@path/to/file.json`. */
export async function readJsonArg(value: string, flag: string): Promise<unknown> {
  let text = value;
  if (value.startsWith('@')) {
    const path = value.slice(1);
    text = await readLocalText(path, flag, MAX_JSON_FILE_BYTES);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: not valid JSON (${(error as Error).message})`);
  }
}

/** A small local text file; missing, unreadable, a directory or over `maxBytes` is a usage error. */
export async function readLocalText(path: string, flag: string, maxBytes: number): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${flag}: ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  if (!info.isFile()) throw new UsageError(`${flag}: ${path} is not a file`);
  if (info.size > maxBytes)
    throw new UsageError(`${flag}: ${path} has ${info.size} bytes, at most ${maxBytes}`);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `30m`, `24h`, `7d`, `2w` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`${flag}: expected a duration like 90s, 30m, 24h or 7d, got '${text}'`);
  }
  return ms;
}

/** A positive integer flag value. */
export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got '${text}'`);
  }
  return n;
}

/** `k=v` pairs → labels; a value may contain '='. */
export function parseLabelPairs(values: readonly string[], flag: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of values) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`${flag}: expected KEY=VALUE, got '${pair}'`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** `NAME@VERSION` (version required) or `NAME` (when `versionOptional`). */
export function parseModelRef(
  text: string | undefined,
  what: string,
  versionOptional = false,
): { name: string; version: string | undefined } {
  if (!text) throw new UsageError(`${what}: expected NAME@VERSION`);
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? undefined : text.slice(at + 1);
  // The same rules as the shared idSchema / modelVersionSchema (not imported: zod would double the start-up time).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new UsageError(
      `${what}: '${name.slice(0, 200)}' is not a model name ([A-Za-z0-9._-], ≤ 128 chars)`,
    );
  }
  if (version === undefined && !versionOptional)
    throw new UsageError(`${what}: expected NAME@VERSION, got '${text}'`);
  if (version !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(version)) {
    throw new UsageError(
      `${what}: '${version.slice(0, 200)}' is not a version ([A-Za-z0-9._+-], ≤ 64 chars)`,
    );
  }
  return { name, version };
}

/** The one positional argument a command needs. */
export function onePositional(positionals: readonly string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`expected ${what}`, usage);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, usage);
  return positionals[0]!;
}

/** Refuses positional arguments where a command takes none. */
export function noArguments(positionals: readonly string[], usage: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, usage);
}
