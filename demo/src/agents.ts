import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminApi } from './api';

/** One demo station: a device agent process with its own data dir and watched folder. */
export interface Station {
  deviceId: string;
  labels: { site: string; line: string; station: string };
  dataDir: string;
  watchDir: string;
  outDir: string;
  logFile: string;
}

/** The stations of a demo fleet of `count` devices: the first half on line 1, the rest on line 2. */
export function stations(dataDir: string, count: number): Station[] {
  const line1 = Math.ceil(count / 2);
  return Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const deviceId = `station-${n}`;
    const dir = join(dataDir, 'agents', deviceId);
    return {
      deviceId,
      labels: { site: 'plant-a', line: n <= line1 ? '1' : '2', station: String(n) },
      dataDir: dir,
      watchDir: join(dir, 'camera'),
      outDir: join(dir, 'results'),
      logFile: join(dir, 'agent.log'),
    };
  });
}

/** The environment of an agent: the demo's, without EDGEFLEET_* settings that would override its flags. */
function agentEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGEFLEET_')));
}

/** Runs `edgefleet-agent <args>` to its end, output appended to `logFile`; resolves to its exit code. */
function runToEnd(agentBin: string, args: string[], logFile: string): Promise<number> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [agentBin, ...args], {
    env: agentEnv(),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * Enrolls the stations that are not enrolled yet (an `enrollment.json` in their data dir), through the real
 * agent CLI with one enrollment token per line (`site`, `line`) and the station's own `--label station=N`.
 */
export async function enrollStations(
  api: AdminApi,
  agentBin: string,
  all: readonly Station[],
): Promise<string[]> {
  const todo = all.filter((s) => !existsSync(join(s.dataDir, 'enrollment.json')));
  const lines = [...new Set(todo.map((s) => s.labels.line))];
  const tokens = new Map<string, string>();
  for (const line of lines) {
    const uses = todo.filter((s) => s.labels.line === line).length;
    const created = await api.call('POST /api/v1/enrollment-tokens', {
      body: {
        labels: { site: 'plant-a', line },
        deviceLabelKeys: ['station'],
        maxUses: uses,
        expiresInS: 3600,
      },
    });
    tokens.set(line, created.token);
  }
  await Promise.all(
    todo.map(async (s) => {
      mkdirSync(s.dataDir, { recursive: true });
      const args = ['enroll', '--server', api.url, '--token', tokens.get(s.labels.line)!];
      args.push('--device-id', s.deviceId, '--data-dir', s.dataDir, '--label', `station=${s.labels.station}`);
      const code = await runToEnd(agentBin, args, s.logFile);
      if (code !== 0) throw new Error(`enrolling ${s.deviceId} failed (exit ${code}); see ${s.logFile}`);
    }),
  );
  return todo.map((s) => s.deviceId);
}

/** A running agent process. */
export interface AgentProcess {
  station: Station;
  child: ChildProcess;
  /** Resolves with the exit code (or 128 + signal number style code) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `edgefleet-agent run` for a station: watched folder, local API on a free port, logs to its file. */
export function startAgentProcess(
  agentBin: string,
  station: Station,
  options: { windowMs: number; mqttUrl: string; logLevel?: string },
): AgentProcess {
  const log = openSync(station.logFile, 'a');
  const args = ['run', '--data-dir', station.dataDir, '--watch', station.watchDir, '--out', station.outDir];
  args.push('--http-port', '0', '--window-ms', String(options.windowMs), '--threads', '1');
  // The broker as it listens now: a resumed demo may have had to move it to another port.
  args.push('--mqtt-url', options.mqttUrl, '--log-level', options.logLevel ?? 'info');
  const child = spawn(process.execPath, [agentBin, ...args], {
    env: agentEnv(),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { station, child, exited };
}

/**
 * SIGTERM (the agent stops intake, flushes its window to the outbox, says offline), SIGKILL after `graceMs`;
 * resolves to how it exited.
 */
export async function stopAgentProcess(
  agent: AgentProcess,
  graceMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGTERM');
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), graceMs);
  const exit = await agent.exited;
  clearTimeout(timer);
  return exit;
}
