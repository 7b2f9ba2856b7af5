import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { appClientIdPrefix, isAppClientId } from '@edgefleet/shared';
import { Aedes, type AuthenticateError, type Client, type Subscription } from 'aedes';
import pino, { type Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { canPublish, canSubscribe } from './acl';
import { protectClient } from './client-guards';
import type { BrokerAuth, Principal } from './principal';
import { indexRetainedMessages } from './retained-index';

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /** Fleet name in topics: `ef/v1/{fleet}/…`. */
  fleet: string;
  auth: BrokerAuth;
  /** TCP listener; port 0 picks a free port; `false` for WebSocket only. */
  tcp?: { port: number; host?: string } | false;
  logger?: Logger;
  /** Largest MQTT packet accepted from a client; bigger ones close the connection. Default 512 KiB (twice the largest valid payload, so an oversized report is rejected and counted by its parser first). */
  maxPacketBytes?: number;
  /** Unsent bytes a subscriber may pile up before it is disconnected as a slow consumer. Default 1 MiB. */
  maxBufferedBytes?: number;
}

/** Counters of what the broker refused or dropped; read by /metrics and tests. */
export interface BrokerStats {
  connectsRejected: number;
  publishesDenied: number;
  subscribesDenied: number;
  slowConsumersDropped: number;
  oversizedPackets: number;
  clientErrors: number;
}

/** The embedded broker: aedes behind TCP and (optionally) WebSocket listeners. */
export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly fleet: string;
  /** Bound TCP port, null without TCP. */
  readonly tcpPort: number | null;
  readonly stats: BrokerStats;
  /** Serves MQTT over WebSocket on `path` of an existing HTTP server (upgrade requests only). */
  attachWebSocket(server: HttpServer, path?: string): void;
  /** The principal of a connected client, if authenticated. */
  principalOf(client: Client): Principal | undefined;
  /** Closes every session whose principal matches (a revoked credential); returns how many. */
  disconnectWhere(match: (principal: Principal) => boolean): number;
  close(): Promise<void>;
}

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Starts aedes with fleet auth and ACLs. Resolves once the TCP port (if any) is bound. */
export async function startBroker(options: BrokerOptions): Promise<EmbeddedBroker> {
  const log = options.logger ?? pino({ level: 'silent' });
  const { fleet } = options;
  const maxPacketBytes = options.maxPacketBytes ?? 512 * 1024;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const principals = new WeakMap<Client, Principal>();
  /** Authenticated clients whose connection is open (aedes' own client table is not in its types). */
  const live = new Set<Client>();
  const stats: BrokerStats = {
    connectsRejected: 0,
    publishesDenied: 0,
    subscribesDenied: 0,
    slowConsumersDropped: 0,
    oversizedPackets: 0,
    clientErrors: 0,
  };

  const aedes = await Aedes.createBroker({
    // Many slots, so a burst of QoS 1 deliveries does not queue behind one busy client.
    concurrency: 1000,
    drainTimeout: 10_000,
    heartbeatInterval: 60_000,
    connectTimeout: 10_000,
    // `app:{appId}:{suffix}`: a 128-character app id plus its namespace and a 64-character suffix.
    maxClientsIdLength: 200,
    authenticate(client, username, password, done) {
      const reject = (why: string, code: number) => {
        stats.connectsRejected++;
        log.info({ clientId: client.id, username, why }, 'mqtt connect rejected');
        done(authError(why, code), null);
      };
      if (username?.startsWith('app:') && !isAppClientId(username.slice(4), client.id)) {
        return reject(`client id must start with ${appClientIdPrefix(username.slice(4))}`, 2);
      }
      const origin = client.req?.headers.origin;
      options.auth.authenticate(client.id, username, password?.toString('utf8'), origin).then(
        (principal) => {
          if (!principal) return reject('bad credentials', 4);
          // Client ids are bound to the principal: a second CONNECT with the same id takes the first one's
          // session over, so no login may use an id that belongs to someone else.
          if (principal.kind === 'device' && principal.deviceId !== client.id) {
            return reject('client id must equal the device id', 2);
          }
          if (principal.kind === 'app' && !isAppClientId(principal.appId, client.id)) {
            return reject(`client id must start with ${appClientIdPrefix(principal.appId)}`, 2);
          }
          principals.set(client, principal);
          live.add(client);
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, clientId: client.id }, 'broker auth failed');
          reject('auth unavailable', 3);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (!client) return done(null); // in-process publish by the server itself
      const principal = principals.get(client);
      const allowed =
        principal !== undefined &&
        packet.qos < 2 &&
        canPublish(principal, packet.topic, fleet, { retain: packet.retain });
      if (allowed) return done(null);
      stats.publishesDenied++;
      log.info({ clientId: client.id, topic: packet.topic }, 'mqtt publish denied');
      done(new Error(`publish to ${packet.topic} denied`));
    },
    authorizeSubscribe(client, sub, done) {
      const principal = principals.get(client);
      if (principal && canSubscribe(principal, sub.topic, fleet)) {
        const granted: Subscription = { ...sub, qos: Math.min(sub.qos, 1) as Subscription['qos'] };
        return done(null, granted);
      }
      stats.subscribesDenied++;
      log.info({ clientId: client.id, topic: sub.topic }, 'mqtt subscribe denied');
      done(null, null); // SUBACK 0x80
    },
  });

  indexRetainedMessages(aedes);

  aedes.on('clientError', (client, err) => {
    stats.clientErrors++;
    log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
  });
  aedes.on('connectionError', (client, err) => {
    stats.clientErrors++;
    log.debug({ clientId: client.id, err: err.message }, 'mqtt connection error');
  });

  const sockets = new Set<Duplex>();
  const handleConnection = (conn: Duplex, req?: IncomingMessage) => {
    sockets.add(conn);
    conn.once('close', () => sockets.delete(conn));
    conn.on('error', () => {}); // aedes reports it through clientError
    const client = aedes.handle(conn as Socket, req);
    conn.once('close', () => live.delete(client));
    protectClient(client, {
      maxPacketBytes,
      maxBufferedBytes,
      onOversized: () => stats.oversizedPackets++,
      onSlowConsumer: () => {
        stats.slowConsumersDropped++;
        log.warn({ clientId: client.id }, 'mqtt slow consumer disconnected');
      },
    });
  };

  let tcpServer: NetServer | null = null;
  let tcpPort: number | null = null;
  if (options.tcp !== false) {
    const tcp = options.tcp ?? { port: 0 };
    const server = createServer({ noDelay: true }, (socket) => handleConnection(socket));
    tcpServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(tcp.port, tcp.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address();
    tcpPort = typeof address === 'object' && address ? address.port : null;
  }

  const wsServers: WebSocketServer[] = [];
  return {
    aedes,
    fleet,
    tcpPort,
    stats,
    principalOf: (client) => principals.get(client),
    disconnectWhere(match) {
      let closed = 0;
      for (const client of [...live]) {
        const principal = principals.get(client);
        if (principal === undefined || !match(principal)) continue;
        live.delete(client);
        client.close();
        closed++;
      }
      return closed;
    },
    attachWebSocket(server, path = '/mqtt') {
      const wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketBytes + 16 });
      wsServers.push(wss);
      server.on('upgrade', (req, socket, head) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname !== path) {
          // Leave other paths to other upgrade handlers; with none, refuse instead of leaving the socket hanging.
          if (server.listenerCount('upgrade') === 1)
            socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          handleConnection(createWebSocketStream(ws), req);
        });
      });
    },
    async close() {
      for (const wss of wsServers) wss.close();
      const tcpClosed = tcpServer
        ? new Promise<void>((resolve) => tcpServer?.close(() => resolve()))
        : Promise.resolve();
      for (const conn of sockets) conn.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await tcpClosed;
    },
  };
}
