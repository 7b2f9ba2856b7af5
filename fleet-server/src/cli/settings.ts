import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT, UsageError } from './io';

// Where the admin commands send requests: flags > env > the config file `login` saved > the default.
// The only module of the CLI that reads the environment's EDGEFLEET_URL / EDGEFLEET_ADMIN_TOKEN / config paths.

/** The server of the embedded defaults. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';
const MAX_CONFIG_BYTES = 64 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

/** What `login` saves. */
export interface SavedLogin {
  url: string;
  token: string;
}

const isSavedLogin = (json: unknown): json is SavedLogin => {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const { url, token } = json as Record<string, unknown>;
  return (
    typeof url === 'string' &&
    url.length > 0 &&
    typeof token === 'string' &&
    token.length > 0 &&
    token.length <= 4096
  );
};

/** `$EDGEFLEET_CONFIG`, else `$XDG_CONFIG_HOME/edgefleet/config.json`, else `~/.config/edgefleet/config.json`. */
export function configPath(env: Env): string {
  if (env.EDGEFLEET_CONFIG) return env.EDGEFLEET_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'edgefleet', 'config.json');
}

/** The saved login, or null when there is none; a malformed file is a usage error naming it. */
export async function readSavedLogin(path: string): Promise<SavedLogin | null> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_CONFIG_BYTES) throw new UsageError(`config file ${path} is too large`);
    text = bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (error instanceof CliError) throw error;
    throw new UsageError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`config file ${path} is not JSON; run 'edgefleet login' again or remove it`);
  }
  if (!isSavedLogin(json)) throw new UsageError(`config file ${path}: expected { "url": "…", "token": "…" }`);
  return { url: json.url, token: json.token };
}

/** Saves the login with mode 0600 (directory 0700), atomically: a temp file renamed over the old one. */
export async function saveLogin(path: string, login: SavedLogin): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await chmod(temp, 0o600); // an existing temp file keeps its mode on open
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new UsageError(`cannot write config file ${path}: ${(error as Error).message}`);
  }
}

/** Removes the saved login; false when there was none. */
export async function removeSavedLogin(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UsageError(`cannot remove config file ${path}: ${(error as Error).message}`);
  }
}

/** `http(s)://host[:port][/prefix]` without a trailing slash; anything else is a usage error. */
export function normalizeUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from}: expected a URL like http://127.0.0.1:8080, got '${raw.slice(0, 200)}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from}: expected an http or https URL, got '${raw.slice(0, 200)}'`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`${from}: put no credentials, query or fragment in the URL`);
  }
  return url.href.replace(/\/+$/, '');
}

/** A server to talk to and the admin token for it. */
export interface Target {
  url: string;
  token: string;
}

/**
 * Resolves the server URL (flag > EDGEFLEET_URL > saved login > default) and the admin token (flag >
 * EDGEFLEET_ADMIN_TOKEN > saved login). The saved token is only sent to the URL it was saved for, so
 * `--url` pointing elsewhere never leaks it. No token is exit code 3.
 */
export async function resolveTarget(flags: { url?: string; token?: string }, env: Env): Promise<Target> {
  const saved = await readSavedLogin(configPath(env));
  const url =
    flags.url !== undefined
      ? normalizeUrl(flags.url, '--url')
      : env.EDGEFLEET_URL
        ? normalizeUrl(env.EDGEFLEET_URL, 'EDGEFLEET_URL')
        : saved
          ? normalizeUrl(saved.url, `config file ${configPath(env)}`)
          : DEFAULT_URL;
  const token =
    flags.token ??
    (env.EDGEFLEET_ADMIN_TOKEN || undefined) ??
    (saved && normalizeUrl(saved.url, 'config url') === url ? saved.token : undefined);
  if (!token) {
    throw new CliError(
      `no admin token for ${url}: run 'edgefleet login', or pass --token / set EDGEFLEET_ADMIN_TOKEN`,
      EXIT.unreachable,
    );
  }
  return { url, token };
}
