import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the demo remembers between runs on one data dir (the server shows the admin token only once). */
export interface DemoState {
  adminToken: string;
  app?: { id: string; publishableKey: string };
  /** Stations that a first-deployment rollout covered (they were given their first version). */
  bootstrapped: string[];
  /** The ports the fleet listened on last time (agents were enrolled with these URLs). */
  ports?: { http: number; mqtt: number };
  /** Rollout ids the demo created, by purpose. */
  rollouts: { initial?: string; appInitial?: string; canary?: string; appCanary?: string };
  /** The data loop, once closed: the dataset it exported (and where), the version trained on it. */
  dataLoop?: DataLoopState;
}

/** What a closed data loop left: see {@link DemoState.dataLoop}. */
export interface DataLoopState {
  dataset: string;
  tar: string;
  version: string;
}

export const STATE_FILE = 'demo-state.json';
/** The state is a few hundred bytes; anything far larger is not ours. */
const MAX_STATE_BYTES = 64 * 1024;

const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');
const isRecordOfStrings = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/**
 * The saved state of a data dir, or null on a fresh one. Throws, saying what is wrong and suggesting
 * `--fresh`, when the file is too large, not JSON, or not shaped like the demo's state.
 */
export function readState(dataDir: string): DemoState | null {
  const path = join(dataDir, STATE_FILE);
  if (!existsSync(path)) return null;
  const fail = (why: string) => new Error(`${path}: ${why}; remove it or run with --fresh`);
  if (statSync(path).size > MAX_STATE_BYTES) throw fail(`larger than ${MAX_STATE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail('not a JSON object');
  const s = parsed as Record<string, unknown>;
  if (typeof s.adminToken !== 'string' || !/^efa_[A-Za-z0-9_-]{16,200}$/.test(s.adminToken)) {
    throw fail('expected adminToken to be an admin token (efa_…)');
  }
  const bootstrapped = s.bootstrapped ?? [];
  if (!isStringArray(bootstrapped)) throw fail('expected bootstrapped to be a list of device ids');
  const rollouts = s.rollouts ?? {};
  if (!isRecordOfStrings(rollouts)) throw fail('expected rollouts to map purposes to rollout ids');
  let app: DemoState['app'];
  if (s.app !== undefined) {
    const a = s.app as Record<string, unknown>;
    if (
      typeof a !== 'object' ||
      a === null ||
      typeof a.id !== 'string' ||
      typeof a.publishableKey !== 'string'
    ) {
      throw fail('expected app to be { id, publishableKey }');
    }
    app = { id: a.id, publishableKey: a.publishableKey };
  }
  let ports: DemoState['ports'];
  if (s.ports !== undefined) {
    const p = s.ports as Record<string, unknown>;
    const isPort = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;
    if (typeof p !== 'object' || p === null || !isPort(p.http) || !isPort(p.mqtt)) {
      throw fail('expected ports to be { http, mqtt } port numbers');
    }
    ports = { http: p.http as number, mqtt: p.mqtt as number };
  }
  let dataLoop: DataLoopState | undefined;
  if (s.dataLoop !== undefined) {
    const d = s.dataLoop as Record<string, unknown>;
    if (!isRecordOfStrings(d) || !d.dataset || !d.tar || !d.version) {
      throw fail('expected dataLoop to be { dataset, tar, version }');
    }
    dataLoop = { dataset: d.dataset, tar: d.tar, version: d.version };
  }
  return {
    adminToken: s.adminToken,
    bootstrapped,
    rollouts,
    ...(app ? { app } : {}),
    ...(ports ? { ports } : {}),
    ...(dataLoop ? { dataLoop } : {}),
  };
}

/** Saves the state by temp file and rename, readable by the owner only (it holds the admin token). */
export function writeState(dataDir: string, state: DemoState): void {
  const path = join(dataDir, STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
}
