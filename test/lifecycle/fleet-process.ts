// The fleet server as a child process (`edgefleet serve`), with an admin API client and read access to its SQLite file.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type ManagedProcess, spawnBin, WORKSPACE } from './processes';

/** A running `edgefleet serve` and what its banner printed. */
export interface FleetProcess {
  process: ManagedProcess;
  url: string;
  mqttPort: number;
  adminToken: string;
  dataDir: string;
  /** An admin API call; `json` bodies are sent as JSON. */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** An admin API call that must answer 2xx; returns the parsed body. */
  api<T = Record<string, unknown>>(path: string, init?: RequestInit & { json?: unknown }): Promise<T>;
  /** Read-only rows of a SQL query on the server's database (WAL: reads beside the running server). */
  query<T>(sql: string, ...params: unknown[]): T[];
  stop(): Promise<void>;
}

interface SqliteDb {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
  close(): void;
}
type SqliteCtor = new (path: string, options: { readonly: boolean; fileMustExist: boolean }) => SqliteDb;

/** Starts `edgefleet serve` on free ports in `dataDir`; resolves once it printed its banner. */
export async function startFleetProcess(
  dataDir: string,
  flags: readonly string[] = [],
): Promise<FleetProcess> {
  const process = spawnBin('fleet-server', 'fleet-server/bin/edgefleet.js', [
    'serve',
    '--data-dir',
    dataDir,
    '--http-host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--mqtt-port',
    '0',
    ...flags,
  ]);
  const banner = await process.waitFor(/Admin token[^\n]*\n\s+(efa_\S+)/, 60_000).catch(async (err) => {
    await process.stop();
    throw err;
  });
  const out = process.output();
  const url = /http\s+(http:\/\/\S+)/.exec(out)?.[1];
  const mqtt = /mqtt\s+mqtt:\/\/[^:\s]+:(\d+)/.exec(out)?.[1];
  if (!url || !mqtt) throw new Error(`unexpected banner: ${process.describe()}`);
  const adminToken = banner[1]!;
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${adminToken}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  const api = async <T>(path: string, init: RequestInit & { json?: unknown } = {}) => {
    const res = await call(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const Database = createRequire(join(WORKSPACE, 'fleet-server/package.json'))(
    'better-sqlite3',
  ) as SqliteCtor;
  let db: SqliteDb | null = null;
  return {
    process,
    url,
    mqttPort: Number(mqtt),
    adminToken,
    dataDir,
    call,
    api,
    query<T>(sql: string, ...params: unknown[]) {
      db ??= new Database(join(dataDir, 'fleet.db'), { readonly: true, fileMustExist: true });
      return db.prepare(sql).all(...params) as T[];
    },
    async stop() {
      db?.close();
      db = null;
      await process.stop();
    },
  };
}
