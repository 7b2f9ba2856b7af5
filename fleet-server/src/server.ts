import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Alerts, createAlerts } from './alerts';
import { createApps } from './apps';
import { type Artifacts, createArtifacts } from './artifacts';
import { type AutomationPart, createAutomation } from './automation';
import type { Config } from './config';
import { advertisedHost, createServerContext, type ServerContext } from './context';
import { createDashboard } from './dashboard';
import { createDatasets, type DatasetsPart } from './datasets';
import { openDatabase } from './db';
import { createDeviceState, type DeviceState } from './device-state';
import { createDevices } from './devices';
import { createEvents, type FleetEvents } from './events';
import { createFleet, type Fleet } from './fleet';
import { createHttpApp, type FleetApp } from './http/app';
import { createLogger, type Logger } from './logging';
import { createModels, type Models } from './models';
import { createMonitoring } from './monitoring';
import { createMqtt, type Mqtt } from './mqtt';
import type { Component, ServerPart } from './part';
import { createQuality } from './quality';
import { createRollouts, type Rollouts, stageMergesHoldFromId } from './rollouts';
import { createSamples, type SamplesPart } from './samples';
import { createStorage, type Storage } from './storage';
import { createTelemetry, type Telemetry } from './telemetry';

export type { Component, ServerPart } from './part';

/** A running fleet server. */
export interface RunningServer {
  /** Loopback URL of the HTTP API, e.g. `http://127.0.0.1:54321`. */
  url: string;
  httpPort: number;
  /** The admin token on first start (print it once); null on later starts. */
  adminToken: string | null;
  /** Where the first admin token was written (`--admin-token-file`); null when it was not. */
  adminTokenFile: string | null;
  context: ServerContext;
  app: FleetApp;
  httpServer: Server;
  parts: ServerParts;
  /** What runs beside the HTTP API, in start order (stopped in reverse). */
  components: Component[];
  /** Stops components, the HTTP server and the database; safe to call twice. */
  close(): Promise<void>;
}

/** Options for embedding and tests. */
export interface StartOptions {
  logger?: Logger;
  now?: () => number;
  /**
   * Move device telemetry windows by each device's learned clock offset (default true). Off only where the
   * server's clock is itself fake (a manual test clock makes every real device look skewed).
   */
  clockCorrection?: boolean;
}

function listen(app: FleetApp, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.httpHost }) as Server;
    // Idle keep-alive sockets are closed by the client, not here: a server that closes first (Node's default
    // 5 s) races a client reusing the socket at that moment, which then fails with ECONNRESET — seen under load
    // by the demo's API client. 65 s is past undici's 4 s and common load balancers' 60 s idle timeouts.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE' ? `port ${config.httpPort} is in use (try --http-port 0)` : error.message;
      reject(new Error(`HTTP server could not listen on ${config.httpHost}:${config.httpPort}: ${reason}`));
    });
    server.once('listening', () => resolve(server));
  });
}

/** The parts of a server, each created by its module's `createX(deps)`, in the order their routes are mounted. */
export interface ServerParts {
  fleet: Fleet;
  artifacts: Artifacts;
  models: Models;
  devices: ServerPart;
  apps: ServerPart;
  rollouts: Rollouts;
  telemetry: Telemetry;
  mqtt: Mqtt;
  deviceState: DeviceState;
  monitoring: ServerPart;
  quality: ServerPart;
  automation: AutomationPart;
  samples: SamplesPart;
  datasets: DatasetsPart;
  alerts: Alerts;
  events: FleetEvents;
  storage: Storage;
  dashboard: ServerPart;
}

function createParts(context: ServerContext): ServerParts {
  // The model registry's spec lookup is what telemetry checks against and what the readers merge and judge by.
  const models = createModels(context);
  const { specs } = models;
  const events = createEvents(context);
  const samples = createSamples(context);
  return {
    fleet: createFleet(context),
    artifacts: createArtifacts(context),
    models,
    devices: createDevices(context),
    apps: createApps(context),
    rollouts: createRollouts(context, specs),
    telemetry: createTelemetry(context, specs),
    mqtt: createMqtt(context),
    deviceState: createDeviceState(context),
    monitoring: createMonitoring(context, specs),
    quality: createQuality(context),
    automation: createAutomation(context),
    samples,
    datasets: createDatasets(context, samples.blobs),
    alerts: createAlerts(context, specs, events.bus),
    events,
    storage: createStorage(context),
    // Last: a catch-all that only sees what no route matched.
    dashboard: createDashboard(context.config),
  };
}

/**
 * Live updates and alerts follow what the parts do: rollout transitions, stored telemetry and device changes go to
 * the event stream and wake the alert evaluator; device clocks correct telemetry windows.
 */
function connectParts(
  { rollouts, telemetry, deviceState, events, alerts, storage }: ServerParts,
  options: StartOptions,
  context: ServerContext,
): void {
  storage.health.onState((state) => alerts.evaluator.onStorage(state));
  rollouts.controller.onTransition((id, t) => {
    events.bus.publish({
      type: 'rollout',
      data: { id, status: t.to.status, stageIndex: t.to.stageIndex, action: t.event },
    });
    alerts.evaluator.onTransition(id, t);
  });
  rollouts.controller.onDeadline((id, deadline) => alerts.evaluator.onDeadline(id, deadline));
  telemetry.ingestor.onStored((stored) => {
    for (const s of stored) events.telemetry.add(s.modelName, s.modelVersion, s.reports);
    alerts.evaluator.noteReports(
      stored.filter((s) => s.source.scope === 'dev').map((s) => s.source.sourceId),
    );
  });
  deviceState.onDeviceChange((changes) => {
    for (const change of changes) {
      if (!change.reported)
        events.bus.publish({ type: 'device', data: { id: change.deviceId, online: change.online } });
    }
    alerts.evaluator.evaluateSoon();
  });
  if (options.clockCorrection ?? true)
    telemetry.ingestor.clockOffsetOf = (id) => deviceState.clockOffsetOf(id);
  // Raw retention keeps the reports a running stage's persisted merge has not read yet.
  const { db, config, now } = context;
  telemetry.tiers.holdRaw(() => stageMergesHoldFromId(db, now() - config.rawRetentionMs));
}

/** Starts everything on one data dir: database (migrated), bootstrap secrets, HTTP API and the MQTT side. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  const database = openDatabase(config.dataDir);
  const components: Component[] = [];
  try {
    const context = await createServerContext(config, database, { logger, now });
    const parts = createParts(context);
    connectParts(parts, options, context);
    const app = createHttpApp(context, (routes) => {
      for (const part of Object.values(parts)) part.routes(routes);
    });

    // Started in this order, stopped in reverse: HTTP last; ingestion, sessions, then the broker before it.
    const httpServer = await listen(app, config);
    components.push(httpComponent(httpServer));
    components.push(parts.models); // its close kills running model jobs
    const httpPort = (httpServer.address() as AddressInfo).port;
    context.endpoints.apiUrl = config.publicUrl ?? `http://${advertisedHost(config.httpHost)}:${httpPort}`;
    const { mqtt, deviceState, telemetry, rollouts, alerts, events, storage, artifacts, fleet } = parts;
    components.push(mqtt);
    const link = await mqtt.start({ httpServer });
    components.push(deviceState);
    const sessions = await deviceState.start(link);
    components.push(telemetry);
    await telemetry.start(link);
    rollouts.start(sessions);
    parts.automation.start(sessions);
    components.push(parts.automation);
    parts.samples.start(sessions);
    components.push(parts.samples);
    components.push(rollouts);
    alerts.start();
    components.push(alerts, events);
    storage.start();
    components.push(storage);
    artifacts.start();
    components.push(artifacts);
    const { adminToken, adminTokenFile } = fleet.start();

    let closed: Promise<void> | null = null;
    const url = `http://${config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost}:${httpPort}`;
    logger.info(
      { url, apiUrl: context.endpoints.apiUrl, dataDir: config.dataDir, fleet: config.fleet },
      'fleet server started',
    );
    return {
      url,
      httpPort,
      adminToken,
      adminTokenFile,
      context,
      app,
      httpServer,
      parts,
      components,
      close: () => {
        closed ??= closeAll(components, database.close, logger);
        return closed;
      },
    };
  } catch (error) {
    await closeAll(components, database.close, logger);
    throw error;
  }
}

function httpComponent(httpServer: Server): Component {
  return {
    name: 'http',
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      }),
  };
}

async function closeAll(components: Component[], closeDatabase: () => void, logger: Logger): Promise<void> {
  for (const component of [...components].reverse()) {
    try {
      await component.close();
    } catch (error) {
      logger.error({ err: error, component: component.name }, 'component failed to close');
    }
  }
  closeDatabase();
}
