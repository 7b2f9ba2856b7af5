// Server side of bench/connected.ts: a real fleet server (embedded aedes, SQLite) alone in its process, so its RSS
// counts only what the server holds. Registers cls 1.0.0–3.0.0 and `DEVICES` devices (secret `secret`; the first
// `WAVE1` labelled wave=1, the rest wave=2), then answers the bench over IPC: `memory` (after two full GCs),
// `snapshot` (a heap snapshot written to the path given), `close`. Run with `node --expose-gc --import tsx`.
import { writeHeapSnapshot } from 'node:v8';
import { resolveConfig } from '../src/config';
import { createLogger } from '../src/logging';
import { insertSimDevices } from '../src/rollouts/sim-fleet';
import { registerClsVersions } from '../src/rollouts/test-support';
import { startServer } from '../src/server';
import { adminCaller } from '../src/testing/harness';

type Command = { type: 'memory' } | { type: 'snapshot'; path: string } | { type: 'close' };

const { dataDir, devices, wave1 } = await new Promise<{ dataDir: string; devices: number; wave1: number }>(
  (resolve) => process.once('message', resolve as (m: unknown) => void),
);
const server = await startServer(
  resolveConfig({
    dataDir,
    httpHost: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    logLevel: 'silent',
    fleet: 'bench',
    rolloutTickMs: 60_000,
  }),
  { logger: createLogger('silent') },
);
const adminToken = server.adminToken!;
const call = adminCaller(() => server.url, adminToken);
await registerClsVersions({ call }, ['1.0.0', '2.0.0', '3.0.0']);
const now = Date.now();
const ids = [
  ...insertSimDevices(server.context.db, 'w1', wave1, { site: 'bench', wave: '1' }, now),
  ...insertSimDevices(server.context.db, 'w2', devices - wave1, { site: 'bench', wave: '2' }, now),
];

const gc = (globalThis as { gc?: () => void }).gc;
function memory() {
  gc?.();
  gc?.();
  return process.memoryUsage();
}

process.on('message', async (m: Command) => {
  if (m.type === 'memory') process.send!({ type: 'memory', memory: memory() });
  else if (m.type === 'snapshot') {
    gc?.();
    process.send!({ type: 'snapshot', path: writeHeapSnapshot(m.path) });
  } else if (m.type === 'close') {
    await server.close();
    process.send!({ type: 'closed' });
    process.exit(0);
  }
});
process.send!({
  type: 'ready',
  ids,
  apiUrl: server.url,
  adminToken,
  mqttPort: Number(new URL(server.context.endpoints.mqttUrl).port),
  dbPath: `${dataDir}/fleet.db`,
  memory: memory(),
});
