import type { Server } from 'node:http';
import type { ServerContext } from '../context';
import { type EmbeddedBroker, startBroker } from './broker';
import { dbBrokerAuth } from './db-auth';
import { connectExternalLink, createEmbeddedLink, type FleetLink } from './link';

export { canPublish, canSubscribe } from './acl';
export { type BrokerOptions, type BrokerStats, type EmbeddedBroker, startBroker } from './broker';
export { type BrokerHookDeps, brokerHookMode, createBrokerHookApp } from './broker-hooks';
export { dbBrokerAuth, principalOfIdentity, type ServerCredentials } from './db-auth';
export { connectExternalLink, createEmbeddedLink, type FleetLink, type MessageHandler } from './link';
export { type MqttMetricSources, registerMqttMetrics } from './metrics';
export type { BrokerAuth, Principal } from './principal';

/** The MQTT side of a running server: the broker (or the link to an external one), nothing else. */
export interface MqttRuntime {
  name: 'mqtt';
  /** The embedded broker; null in external broker mode. */
  broker: EmbeddedBroker | null;
  link: FleetLink;
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
 * or a link to `config.mqttUrl`. Sets `ctx.endpoints.mqttUrl` to the bound port; `close()` stops the link and the
 * broker. Device sessions and telemetry ingestion run over the link (see device-state/ and telemetry/).
 */
export async function startMqtt(ctx: ServerContext, deps: { httpServer: Server }): Promise<MqttRuntime> {
  const { config, logger } = ctx;
  let broker: EmbeddedBroker | null = null;
  let link: FleetLink;
  let stopRevocations = () => {};
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
    const embedded = broker;
    // A revoked credential loses its live session at once (the broker checks credentials only at CONNECT).
    stopRevocations = ctx.revocations.on((revoked) => {
      if (revoked.kind === 'admin') return;
      const closed = embedded.disconnectWhere((p) =>
        revoked.kind === 'device'
          ? p.kind === 'device' && p.deviceId === revoked.deviceId
          : p.kind === 'app' && p.appId === revoked.appId,
      );
      if (closed > 0)
        logger.info({ ...revoked, sessions: closed }, 'mqtt sessions of a revoked credential closed');
    });
    link = createEmbeddedLink(broker.aedes, logger);
    const advertised = new URL(ctx.endpoints.mqttUrl);
    advertised.port = String(broker.tcpPort);
    ctx.endpoints.mqttUrl = advertised.toString().replace(/\/$/, '');
    logger.info(
      { mqttPort: broker.tcpPort, mqttUrl: ctx.endpoints.mqttUrl, websocket: '/mqtt' },
      'embedded MQTT broker listening',
    );
  }
  return {
    name: 'mqtt',
    broker,
    link,
    async close() {
      stopRevocations();
      await link.close();
      await broker?.close();
    },
  };
}
