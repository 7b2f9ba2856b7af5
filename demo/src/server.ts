import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type ConfigInput, type RunningServer, resolveConfig, startServer } from '@edgefleet/fleet-server';
import type { DemoConfig } from './config';

/** The in-process fleet server of the demo. */
export interface DemoServer {
  server: RunningServer;
  url: string;
  mqttUrl: string;
  /** Whether this server build serves the dashboard (it has the `dashboardDir` setting) and from where. */
  dashboardDir: string | null;
}

/** Whether `port` can be bound on `host` right now (0 always can). */
export function portIsFree(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The port to ask for: a preferred port that is taken becomes 0 (a free one); an explicit one stays. */
export async function choosePort(choice: { port: number; explicit: boolean }, host: string): Promise<number> {
  if (choice.explicit || (await portIsFree(choice.port, host))) return choice.port;
  return 0;
}

/** The dashboard folder the server should serve, when it was built. */
export function dashboardDist(repoRoot: string): string | null {
  const dist = join(repoRoot, 'dashboard', 'dist');
  return existsSync(join(dist, 'index.html')) ? dist : null;
}

/**
 * Starts the fleet server in this process on loopback, in `<dataDir>/server`, with a fast rollout tick and the
 * demo's telemetry window (what the desired state or app plan of a rollout's first version for a target says).
 * The dashboard is passed as `dashboardDir` when the server knows that setting (unknown settings are dropped).
 */
export async function startDemoServer(config: DemoConfig, dashboard: string | null): Promise<DemoServer> {
  const host = '127.0.0.1';
  const input: ConfigInput & { dashboardDir?: string } = {
    dataDir: join(config.dataDir, 'server'),
    httpHost: host,
    httpPort: await choosePort(config.httpPort, host),
    mqttPort: await choosePort(config.mqttPort, host),
    rolloutTickMs: config.rolloutTickMs,
    telemetryWindowMs: config.windowMs,
    // Quality, drift and concept-drift alerts per line as well as for the whole fleet (key c changes line 2).
    alertSliceLabels: ['line'],
    logLevel: config.logLevel as ConfigInput['logLevel'],
    // One browser tab of the demo page fetches plan, spec and artifacts in bursts.
    appRateLimitPerS: 100,
    appRateBurst: 500,
    ...(dashboard ? { dashboardDir: dashboard } : {}),
  };
  const resolved = resolveConfig(input);
  const server = await startServer(resolved);
  const served = (resolved as { dashboardDir?: unknown }).dashboardDir;
  return {
    server,
    url: server.url,
    mqttUrl: server.context.endpoints.mqttUrl,
    dashboardDir: typeof served === 'string' ? served : null,
  };
}
