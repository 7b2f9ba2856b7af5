// Inspection stations: an `edgefleet-agent` process each (enrolled by its own `enroll` process), fed through its
// watched folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Feeder, type ImagePools, startFeeder } from './feeder';
import { type ManagedProcess, runBin, spawnBin } from './processes';

/** A running agent and the folders it watches and answers into. */
export interface Station {
  id: string;
  process: ManagedProcess;
  /** Its local API. */
  url: string;
  dataDir: string;
  watch: string;
  out: string;
  feeder: Feeder;
  /** `GET /v1/status`. */
  status(): Promise<AgentStatus>;
}

/** The parts of the agent's `GET /v1/status` the scenario reads. */
export interface AgentStatus {
  connected: boolean;
  appliedRev: number;
  running: { active: { name: string; version: string } | null };
  outbox: { epoch: number; pending: number; appended: number; acked: number };
  watch: { processed: number; failed: number } | null;
}

/** How a station is started. */
export interface StationOptions {
  id: string;
  server: string;
  enrollToken: string;
  labels: Record<string, string>;
  windowMs: number;
  feedMs: number;
  pools: ImagePools;
  /** Broker URL instead of the one enrollment gave (e.g. through a cuttable proxy). */
  mqttUrl?: string;
  /** Called with the run process as soon as it is spawned (so a failed start is still stopped). */
  onSpawn(process: ManagedProcess): void;
}

/** Enrolls a device (`edgefleet-agent enroll`), runs it (`edgefleet-agent run --watch`) and starts its feeder. */
export async function startStation(root: string, options: StationOptions): Promise<Station> {
  const { id } = options;
  const dataDir = join(root, id);
  const watch = join(dataDir, 'in');
  const out = join(dataDir, 'out');
  mkdirSync(watch, { recursive: true });
  mkdirSync(out, { recursive: true });
  const bin = 'agent/bin/edgefleet-agent.js';
  const labels = Object.entries(options.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const enrolled = await runBin(`enroll ${id}`, bin, [
    'enroll',
    ...['--server', options.server, '--token', options.enrollToken, '--device-id', id, '--data-dir', dataDir],
    ...labels,
  ]);
  if (enrolled.code !== 0) throw new Error(`enroll ${id} exited ${enrolled.code}: ${enrolled.output}`);
  const process = spawnBin(`agent ${id}`, bin, [
    'run',
    ...['--data-dir', dataDir, '--watch', watch, '--out', out, '--http-port', '0'],
    ...['--window-ms', String(options.windowMs), '--threads', '1', '--log-level', 'warn'],
    // A station that was cut off for minutes retries within 5 s of the proxy's return, not up to 60 s.
    ...['--reconnect-max-ms', '5000'],
    ...(options.mqttUrl ? ['--mqtt-url', options.mqttUrl] : []),
  ]);
  options.onSpawn(process);
  const url = (await process.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
  return {
    id,
    process,
    url,
    dataDir,
    watch,
    out,
    feeder: startFeeder(watch, options.pools, options.feedMs),
    status: async () => (await (await fetch(`${url}/v1/status`)).json()) as AgentStatus,
  };
}
