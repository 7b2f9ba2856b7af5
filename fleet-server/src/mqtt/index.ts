import type { Server } from 'node:http';
import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import { type EmbeddedBroker, startBroker } from './broker';
import { dbBrokerAuth } from './db-auth';
import { mountBrokerHooks } from './hook-routes';
import { connectExternalLink, createEmbeddedLink, type FleetLink } from './link';
import { registerBrokerMetrics } from './metrics';

export { canPublish, canSubscribe } from './acl';
export { type BrokerOptions, type BrokerStats, type EmbeddedBroker, startBroker } from './broker';
export { type BrokerHookDeps, brokerHookMode, createBrokerHookApp } from './broker-hooks';
export { dbBrokerAuth, principalOfIdentity, type ServerCredentials } from './db-auth';
export { connectExternalLink, createEmbeddedLink, type FleetLink, type MessageHandler } from './link';
export type { BrokerAuth, Principal } from './principal';

/**
 * The MQTT side of a server, nothing else: the embedded broker (TCP on `config.mqttPort`, WebSocket on `/mqtt` of
 * the HTTP server) or the link to `config.mqttUrl`, its ACL, and the HTTP auth hooks an external broker calls.
 * Device sessions and telemetry ingestion run over the link (see device-state/ and telemetry/).
 */
export interface Mqtt extends ServerPart {
  name: 'mqtt';
  /** The embedded broker once started; null in external broker mode and before `start`. */
  readonly broker: EmbeddedBroker | null;
  /** The link the server's own subscriptions and publishes go through; null before `start`. */
  readonly link: FleetLink | null;
  /** Starts the broker (or connects the link); sets `ctx.endpoints.mqttUrl` to the bound port. */
  start(deps: { httpServer: Server }): Promise<FleetLink>;
}

/** Creates the MQTT part; `close()` stops the link and the broker. */
export function createMqtt(ctx: ServerContext): Mqtt {
  let running: MqttRuntime | null = null;
  return {
    name: 'mqtt',
    get broker() {
      return running?.broker ?? null;
    },
    get link() {
      return running?.link ?? null;
    },
    routes: (app) => mountBrokerHooks(app, ctx),
    async start(deps) {
      running = await startMqtt(ctx, deps);
      registerBrokerMetrics(ctx.metrics.registry, running.broker);
      return running.link;
    },
    close: async () => running?.close(),
  };
}

/** The started MQTT side: the broker (or the link to an external one). */
interface MqttRuntime {
  /** The embedded broker; null in external broker mode. */
  broker: EmbeddedBroker | null;
  link: FleetLink;
  close(): Promise<void>;
}

async function startMqtt(ctx: ServerContext, deps: { httpServer: Server }): Promise<MqttRuntime> {
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
    broker,
    link,
    async close() {
      stopRevocations();
      await link.close();
      await broker?.close();
    },
  };
}
