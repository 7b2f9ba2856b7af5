import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
// Agents for fault tests: enrolled into a given data dir (e.g. on a small filesystem), in process.
import { enroll, type RunningAgent, resolveAgentConfig, startAgent } from '@edgefleet/agent';
import type { DeployError } from '@edgefleet/shared';
import type { StorageHealth } from '../../agent/src/outbox/storage';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import { type InferBody, stripesPng } from '../agent/fleet';
import { type ManagedProcess, spawnBin } from '../lifecycle/processes';

/** Enrolls `deviceId` into `dataDir` through the server's enrollment API. */
export async function enrollInto(t: TestServer, deviceId: string, dataDir: string): Promise<void> {
  const res = await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: {} } });
  const { token } = (await res.json()) as { token: string };
  await enroll({ server: t.url, token, dataDir, deviceId, labels: {} });
}

/** Starts an agent on `dataDir` (port 0, one thread, silent, fast reconnects and retries). */
export function startAgentIn(dataDir: string, config: Record<string, unknown> = {}): Promise<RunningAgent> {
  return startAgent(
    resolveAgentConfig({
      dataDir,
      httpPort: 0,
      threads: 1,
      logLevel: 'silent',
      applyRetries: 2,
      applyRetryMs: 20,
      ...config,
    }),
    { reconnect: { baseMs: 50, maxMs: 500 } },
  );
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

let png: Uint8Array<ArrayBuffer> | undefined;

/** One PNG inference; returns the HTTP status and body. */
export async function inferOnce(agent: RunningAgent): Promise<{ status: number; body: InferBody }> {
  png ??= await stripesPng();
  const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: png,
  });
  return { status: res.status, body: (await res.json()) as InferBody };
}

/** The parts of `/v1/status` fault tests read. */
export interface AgentStatusBody {
  appliedRev: number;
  errors: DeployError[];
  storage: StorageHealth;
  outbox: { epoch: number; pending: number; overflow: { droppedReports: number; droppedInferences: number } };
}

/** The agent's `/v1/status`. */
export async function agentStatus(agent: RunningAgent): Promise<AgentStatusBody> {
  return (await (await fetch(`${agent.url}/v1/status`)).json()) as AgentStatusBody;
}

/** The preload that sets a process's clock off (see clock-offset.mjs). */
const CLOCK_OFFSET_PRELOAD = fileURLToPath(new URL('./clock-offset.mjs', import.meta.url));

/** Starts `edgefleet-agent run` as its own process on `dataDir` (its clock off by `clockOffsetMs`); resolves with its URL. */
export async function runAgentProcess(
  dataDir: string,
  name: string,
  opts: { clockOffsetMs?: number } = {},
): Promise<{ p: ManagedProcess; url: string }> {
  const p = spawnBin(
    name,
    'agent/bin/edgefleet-agent.js',
    ['run', '--data-dir', dataDir, '--http-port', '0', '--threads', '1', '--log-level', 'warn'],
    opts.clockOffsetMs
      ? {
          NODE_OPTIONS: `--import=${CLOCK_OFFSET_PRELOAD}`,
          EDGEFLEET_TEST_CLOCK_OFFSET_MS: String(opts.clockOffsetMs),
        }
      : {},
  );
  const [, url] = await p.waitFor(/listening on (http:\/\/\S+)/, 60_000);
  return { p, url: url! };
}
