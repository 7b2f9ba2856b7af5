import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { apiRoute } from '@edgefleet/shared/api';
import { serve } from '@hono/node-server';
import { createAlerts } from './alerts';
import { registerAppRoutes } from './apps/routes';
import { startArtifactGc } from './artifacts/gc';
import { registerArtifactRoutes } from './artifacts/routes';
import { ArtifactStore } from './artifacts/store';
import { TokenBuckets } from './auth/rate-limit';
import { Revocations } from './auth/revocations';
import type { Config } from './config';
import type { ServerContext } from './context';
import { registerDashboard } from './dashboard';
import { openDatabase } from './db';
import { startDeviceState } from './device-state';
import { registerDeviceRoutes } from './devices/routes';
import { createEvents } from './events';
import { registerAdminTokenRoutes } from './fleet/admin-tokens';
import { ensureAdminToken, readSetting, writeSecretFile, writeSetting } from './fleet/bootstrap';
import { registerFleetRoutes } from './fleet/routes';
import { loadOrCreateSigner } from './fleet/signing-key';
import { API_PREFIX, createHttpApp, type FleetApp } from './http/app';
import { registerHealthRoutes } from './http/health';
import { contractRoute } from './http/openapi';
import { createLogger, type Logger } from './logging';
import { createMetrics } from './metrics';
import { registerReferenceRoutes } from './models/reference/routes';
import { registerModelRoutes } from './models/routes';
import { registerMonitoringRoutes } from './monitoring';
import {
  brokerHookMode,
  createBrokerHookApp,
  dbBrokerAuth,
  registerMqttMetrics,
  serverCredentialsOf,
  startMqtt,
} from './mqtt';
import { createRollouts } from './rollouts';
import { StorageHealth } from './storage/health';
import { createTelemetry } from './telemetry';

/** Something started beside the HTTP API (the MQTT broker or link, ingest workers); stopped in reverse order. */
export interface Component {
  name: string;
  close(): Promise<void>;
}

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

function advertisedHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((net) => net && net.family === 'IPv4' && !net.internal);
  return lan?.address ?? '127.0.0.1';
}

function stripCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

function listen(app: FleetApp, config: Config): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.httpHost }) as Server;
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE' ? `port ${config.httpPort} is in use (try --http-port 0)` : error.message;
      reject(new Error(`HTTP server could not listen on ${config.httpHost}:${config.httpPort}: ${reason}`));
    });
    server.once('listening', () => resolve(server));
  });
}

/** Starts everything on one data dir: database (migrated), bootstrap secrets, HTTP API and the MQTT side. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  const database = openDatabase(config.dataDir);
  const components: Component[] = [];
  try {
    const store = new ArtifactStore(config.dataDir);
    const stale = store.removeStaleUploads();
    if (stale > 0) logger.warn({ count: stale }, 'removed unfinished uploads from a previous run');
    const knownKey = readSetting(database.db, 'signing.publicJwk');
    const knownKeyId = knownKey ? ((JSON.parse(knownKey) as { kid?: string }).kid ?? null) : null;
    const { signer, created } = await loadOrCreateSigner(config.dataDir, knownKeyId);
    if (knownKeyId !== null && knownKeyId !== signer.keyId) {
      logger.warn(
        { previousKeyId: knownKeyId, keyId: signer.keyId },
        'the fleet signing key file was replaced',
      );
    }
    if (created) logger.info({ keyId: signer.keyId }, 'created the fleet signing key');
    writeSetting(database.db, 'signing.publicJwk', JSON.stringify(signer.publicJwk), now());

    const host = advertisedHost(config.httpHost);
    const metrics = createMetrics(database);
    const storage = new StorageHealth({
      dataDir: config.dataDir,
      writeDb: (nowMs) => writeSetting(database.db, 'storage.probeAt', String(nowMs), nowMs),
      registry: metrics.registry,
      logger,
      now,
      probeMs: config.storageProbeMs,
      reserveBytes: config.storageReserveBytes,
    });
    const context: ServerContext = {
      config,
      database,
      db: database.db,
      logger,
      metrics,
      storage,
      store,
      signer,
      appKeyBuckets: new TokenBuckets(config.appRateLimitPerS, config.appRateBurst, now),
      revocations: new Revocations(),
      endpoints: {
        apiUrl: config.publicUrl ?? '',
        mqttUrl: config.mqttUrl ? stripCredentials(config.mqttUrl) : `mqtt://${host}:${config.mqttPort}`,
      },
      now,
    };

    // ---- telemetry pipeline (owned by src/telemetry): created before the routes that feed it
    const telemetry = createTelemetry(context);
    const serverCredentials = serverCredentialsOf(config.mqttUrl);
    // ---- end telemetry pipeline

    // ---- rollouts (owned by src/rollouts): the controller exists before its routes, ticks once MQTT can publish
    const rollouts = createRollouts(context, telemetry.specs);
    // ---- end rollouts

    // ---- live events and alerts (owned by src/events, src/alerts): fed by the controller, ingest and presence
    const events = createEvents(context);
    const alerts = createAlerts(context, telemetry.specs, events.bus);
    rollouts.controller.onTransition((id, t) => {
      events.bus.publish({
        type: 'rollout',
        data: { id, status: t.to.status, stageIndex: t.to.stageIndex, action: t.event },
      });
      alerts.evaluator.onTransition(id, t);
    });
    telemetry.ingestor.onStored((stored) => {
      for (const s of stored) events.telemetry.add(s.modelName, s.modelVersion, s.reports);
      alerts.evaluator.noteReports(
        stored.filter((s) => s.source.scope === 'dev').map((s) => s.source.sourceId),
      );
    });
    // ---- end live events and alerts

    const app = createHttpApp(context, (routes) => {
      registerHealthRoutes(routes, context);
      registerFleetRoutes(routes, context);
      registerAdminTokenRoutes(routes, context);
      registerArtifactRoutes(routes, context);
      registerModelRoutes(routes, context);
      registerReferenceRoutes(routes, context);
      registerDeviceRoutes(routes, context);
      registerAppRoutes(routes, context);
      // ---- rollout routes (owned by src/rollouts): /api/v1/rollouts
      rollouts.registerRoutes(routes);
      // ---- end rollout routes
      // ---- MQTT/telemetry routes (owned by src/mqtt, src/telemetry)
      telemetry.routes(routes);
      mountBrokerHooks(routes, context, serverCredentials);
      // ---- end MQTT/telemetry routes
      // ---- monitoring, alerts, live events (owned by src/monitoring, src/alerts, src/events)
      registerMonitoringRoutes(routes, context, telemetry.specs);
      alerts.registerRoutes(routes);
      events.registerRoutes(routes);
      // ---- dashboard (owned by src/dashboard): registered last, it only sees what no route matched
      registerDashboard(routes, config);
    });

    const httpServer = await listen(app, config);
    components.push({
      name: 'http',
      close: () =>
        new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeAllConnections();
        }),
    });
    const httpPort = (httpServer.address() as AddressInfo).port;
    context.endpoints.apiUrl = config.publicUrl ?? `http://${host}:${httpPort}`;

    // ---- MQTT (owned by src/mqtt): the embedded broker (TCP on config.mqttPort, WebSocket on /mqtt of the HTTP
    // server) or a link to config.mqttUrl; over it the device sessions (src/device-state) and telemetry ingestion
    // (src/telemetry). Stopped in reverse: ingestion, sessions, then the link and broker, all before HTTP.
    const mqtt = await startMqtt(context, { httpServer });
    components.push(mqtt);
    const deviceState = await startDeviceState(context, mqtt.link);
    components.push(deviceState);
    if (options.clockCorrection ?? true)
      telemetry.ingestor.clockOffsetOf = (deviceId) => deviceState.sessions.clocks.offsetOf(deviceId);
    components.push(await telemetry.listen(mqtt.link));
    registerMqttMetrics(context.metrics.registry, {
      broker: mqtt.broker,
      ingest: telemetry.ingestor.stats,
      sessions: deviceState.sessions.stats,
    });
    // ---- end MQTT

    // ---- rollout controller (owned by src/rollouts): publishes through the device sessions; stopped before MQTT
    rollouts.start(deviceState.sessions);
    components.push({ name: 'rollouts', close: () => rollouts.close() });
    // ---- end rollout controller

    // ---- live events and alerts: presence changes go to the stream, reported states wake the evaluator
    deviceState.sessions.onDeviceChange((changes) => {
      for (const change of changes) {
        if (!change.reported)
          events.bus.publish({ type: 'device', data: { id: change.deviceId, online: change.online } });
      }
      alerts.evaluator.evaluateSoon();
    });
    alerts.start();
    components.push(alerts, events);
    storage.onState((state) => alerts.evaluator.onStorage(state));
    storage.start();
    components.push({ name: 'storage', close: async () => storage.close() });
    // ---- end live events and alerts

    if (config.artifactGcIntervalMs > 0) {
      components.push(
        startArtifactGc(context, {
          graceMs: config.artifactGcGraceMs,
          intervalMs: config.artifactGcIntervalMs,
        }),
      );
    }

    // Last, once everything listens: a start that fails above leaves no admin token that nobody has seen.
    const tokenFile = config.adminTokenFile;
    const { adminToken } = ensureAdminToken(
      database.db,
      now(),
      tokenFile ? (token) => writeSecretFile(tokenFile, token) : undefined,
    );
    const adminTokenFile = adminToken && tokenFile ? tokenFile : null;

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

/** The external broker's HTTP auth hooks under `/api/v1/broker/*`, per {@link brokerHookMode}. */
function mountBrokerHooks(
  routes: FleetApp,
  context: ServerContext,
  serverCredentials: ReturnType<typeof serverCredentialsOf>,
): void {
  const { config, logger } = context;
  const mode = brokerHookMode(config);
  if (mode === 'off') return;
  if (mode === 'open') {
    logger.warn(
      { routes: `${API_PREFIX}/broker/{auth,acl,superuser}` },
      'BROKER HOOKS ARE OPEN: external broker mode without --broker-hook-secret; anyone who can reach this ' +
        'port can probe device credentials through them. Set --broker-hook-secret and configure the broker to send it.',
    );
  }
  // Plain Hono (each plugin sends its own form or JSON): documented from the contract, read by the hooks themselves.
  for (const name of ['auth', 'acl', 'superuser'] as const) {
    routes.openAPIRegistry.registerPath(
      contractRoute(apiRoute(`POST /api/v1/broker/${name}`), {
        tags: ['broker'],
        summary: `External broker HTTP auth hook: ${name} (EMQX, mosquitto-go-auth, VerneMQ)`,
        description:
          'The hook secret (when set) comes as `Authorization: Bearer`, `x-edgefleet-hook-secret` or `?secret=`; ' +
          '`?style=vernemq` and `?mode=status` choose the answer form.',
        errors: [403],
      }),
    );
  }
  routes.route(
    API_PREFIX,
    createBrokerHookApp({
      fleet: config.fleet,
      auth: dbBrokerAuth(context.db, serverCredentials),
      ...(serverCredentials ? { serverUsername: serverCredentials.username } : {}),
      ...(config.brokerHookSecret !== undefined ? { hookSecret: config.brokerHookSecret } : {}),
    }),
  );
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
