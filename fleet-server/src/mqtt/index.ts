import type { Server } from 'node:http';
import type { ServerContext } from '../context';
import type { Telemetry } from '../telemetry';
import { startMqttTelemetry } from '../telemetry/mqtt-ingest';
import { type EmbeddedBroker, startBroker } from './broker';
import { dbBrokerAuth } from './db-auth';
import { DeviceSessions } from './device-sessions';
import { connectExternalLink, createEmbeddedLink, type FleetLink } from './link';
import { registerMqttMetrics } from './metrics';

export { canPublish, canSubscribe } from './acl';
export { type BrokerOptions, type BrokerStats, type EmbeddedBroker, startBroker } from './broker';
export { type BrokerHookDeps, brokerHookMode, createBrokerHookApp } from './broker-hooks';
export { dbBrokerAuth, principalOfIdentity, type ServerCredentials } from './db-auth';
export {
  type DesiredPublish,
  type DesiredPublishResult,
  type DesiredStateInput,
  DeviceSessions,
} from './device-sessions';
export { connectExternalLink, createEmbeddedLink, type FleetLink, type MessageHandler } from './link';
export type { BrokerAuth, Principal } from './principal';

/** The MQTT side of a running server. */
export interface MqttRuntime {
  name: 'mqtt';
  /** The embedded broker; null in external broker mode. */
  broker: EmbeddedBroker | null;
  link: FleetLink;
  sessions: DeviceSessions;
  close(): Promise<void>;
}

/** The server's own credentials from `--mqtt-url` (for the HTTP auth hooks), if it has any. */
export function serverCredentialsOf(
  mqttUrl: string | undefined,
): { username: string; password: string } | undefined {
  if (!mqttUrl) return undefined;
  const url = new URL(mqttUrl);
  return url.username
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
}

/**
 * Starts the MQTT side: the embedded broker (TCP on `config.mqttPort`, WebSocket on `/mqtt` of the HTTP server)
 * or a link to `config.mqttUrl`; then device sessions (presence, hello, desired) and telemetry ingestion.
 * Sets `ctx.endpoints.mqttUrl` to the bound port, registers metrics, and stops everything in `close()`.
 */
export async function startMqtt(
  ctx: ServerContext,
  deps: { httpServer: Server; telemetry: Telemetry },
): Promise<MqttRuntime> {
  const { config, logger } = ctx;
  let broker: EmbeddedBroker | null = null;
  let link: FleetLink;
  if (config.mqttUrl) {
    link = await connectExternalLink({ url: config.mqttUrl, logger });
    logger.info({ sharedSubscriptions: link.sharedSubscriptions }, 'connected to external MQTT broker');
  } else {
    broker = await startBroker({
      fleet: config.fleet,
      auth: dbBrokerAuth(ctx.db),
      tcp: { port: config.mqttPort, host: config.httpHost },
      logger,
    });
    broker.attachWebSocket(deps.httpServer, '/mqtt');
    link = createEmbeddedLink(broker.aedes, logger);
    const advertised = new URL(ctx.endpoints.mqttUrl);
    advertised.port = String(broker.tcpPort);
    ctx.endpoints.mqttUrl = advertised.toString().replace(/\/$/, '');
    logger.info(
      { mqttPort: broker.tcpPort, mqttUrl: ctx.endpoints.mqttUrl, websocket: '/mqtt' },
      'embedded MQTT broker listening',
    );
  }
  const sessions = new DeviceSessions({ link, fleet: config.fleet, db: ctx.db, logger, now: ctx.now });
  await sessions.start();
  const stopTelemetry = await startMqttTelemetry({
    link,
    fleet: config.fleet,
    ingestor: deps.telemetry.ingestor,
    logger,
  });
  registerMqttMetrics(ctx.metrics.registry, {
    broker,
    ingest: deps.telemetry.ingestor.stats,
    sessions: sessions.stats,
  });
  return {
    name: 'mqtt',
    broker,
    link,
    sessions,
    async close() {
      await stopTelemetry();
      await sessions.stop();
      deps.telemetry.ingestor.close();
      await link.close();
      await broker?.close();
    },
  };
}
