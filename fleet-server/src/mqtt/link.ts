import { randomUUID } from 'node:crypto';
import type { Aedes, AedesPublishPacket } from 'aedes';
import { connectAsync, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { topicMatches } from './topic-match';

/**
 * Handles one message; the link waits for the returned promise before taking the next one (backpressure).
 * A handler must not wait for a QoS 1 publish on the same link: mqtt.js reads that PUBACK only after the
 * handler settled, so such a wait never ends.
 */
export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

/** Options of a publish through a {@link FleetLink}. */
export interface LinkPublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

/** Options of a subscription through a {@link FleetLink}. */
export interface LinkSubscribeOptions {
  /** Split this subscription across server replicas (`$share/{group}/…`) where the broker supports it. */
  shared?: boolean;
}

/**
 * The server's own side of MQTT, the same for the embedded broker (in process, no socket) and an
 * external one (an mqtt.js client). Device sessions and telemetry ingestion only see this interface.
 */
export interface FleetLink {
  readonly kind: 'embedded' | 'external';
  /** Whether `shared: true` subscriptions are really shared across replicas. */
  readonly sharedSubscriptions: boolean;
  publish(topic: string, payload: string | Buffer, options?: LinkPublishOptions): Promise<void>;
  /** Subscribes `handler` to `filter`; resolves with a function that unsubscribes it. */
  subscribe(
    filter: string,
    handler: MessageHandler,
    options?: LinkSubscribeOptions,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A link that talks to the embedded aedes directly: publishes and deliveries never touch a socket. */
export function createEmbeddedLink(aedes: Aedes, logger?: Logger): FleetLink {
  const log = logger ?? pino({ level: 'silent' });
  const subscriptions = new Set<{
    filter: string;
    deliver: (p: AedesPublishPacket, cb: () => void) => void;
  }>();
  return {
    kind: 'embedded',
    sharedSubscriptions: false,
    publish(topic, payload, options = {}) {
      return new Promise<void>((resolve, reject) => {
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
            qos: options.qos ?? 1,
            retain: options.retain ?? false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
    subscribe(filter, handler) {
      // Releasing the delivery slot only after the handler settles pushes back on publishers (aedes reads
      // the next packets of a socket only when the previous ones were delivered) instead of queueing in memory.
      const deliver = (packet: AedesPublishPacket, cb: () => void) => {
        let settled: void | Promise<void>;
        try {
          settled = handler(packet.topic, packet.payload as Buffer);
        } catch (err) {
          log.error({ err, topic: packet.topic }, 'mqtt handler failed');
          return cb();
        }
        if (settled instanceof Promise) {
          settled.then(cb, (err: unknown) => {
            log.error({ err, topic: packet.topic }, 'mqtt handler failed');
            cb();
          });
        } else cb();
      };
      const entry = { filter, deliver };
      subscriptions.add(entry);
      return new Promise((resolve) => {
        aedes.subscribe(filter, deliver, () =>
          resolve(
            () =>
              new Promise<void>((done) => {
                subscriptions.delete(entry);
                aedes.unsubscribe(filter, deliver, () => done());
              }),
          ),
        );
      });
    },
    async close() {
      await Promise.all(
        [...subscriptions].map(
          (s) => new Promise<void>((done) => aedes.unsubscribe(s.filter, s.deliver, () => done())),
        ),
      );
      subscriptions.clear();
    },
  };
}

/** Options of {@link connectExternalLink}. */
export interface ExternalLinkOptions {
  /** `mqtt://user:pass@host:port`, `mqtts://…`, `ws(s)://…`. */
  url: string;
  /** Group name of shared subscriptions: `$share/{shareGroup}/…`. Default `edgefleet`. */
  shareGroup?: string;
  clientId?: string;
  /** Force a protocol version; by default MQTT 5 is tried first and 3.1.1 used when the broker refuses it. */
  protocolVersion?: 4 | 5;
  logger?: Logger;
  /** Extra mqtt.js options (TLS files, keepalive, …). */
  client?: IClientOptions;
}

/**
 * Connects the server to an external broker with mqtt.js: MQTT 5 when the broker speaks it (shared
 * subscriptions unless the broker says it has none), MQTT 3.1.1 with plain subscriptions otherwise.
 * Reconnects by itself and resubscribes; QoS 1 messages are acknowledged only after their handler settled.
 */
export async function connectExternalLink(options: ExternalLinkOptions): Promise<FleetLink> {
  const log = options.logger ?? pino({ level: 'silent' });
  const shareGroup = options.shareGroup ?? 'edgefleet';
  const base: IClientOptions = {
    clientId: options.clientId ?? `edgefleet-server-${randomUUID().slice(0, 8)}`,
    clean: true,
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    queueQoSZero: false,
    ...options.client,
  };
  let client: MqttClient;
  let v5 = options.protocolVersion !== 4;
  try {
    client = await connectAsync(options.url, { ...base, protocolVersion: v5 ? 5 : 4 }, false);
  } catch (err) {
    if (!v5 || options.protocolVersion === 5) throw err;
    log.info({ err: (err as Error).message }, 'mqtt 5 refused, falling back to 3.1.1');
    v5 = false;
    client = await connectAsync(options.url, { ...base, protocolVersion: 4 }, false);
  }
  const sharedSubscriptions = v5 && client.serverProperties?.sharedSubscriptionAvailable !== false;
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt link error'));
  client.on('reconnect', () => log.info('mqtt link reconnecting'));

  const handlers = new Map<string, Set<MessageHandler>>();
  client.handleMessage = (packet: IPublishPacket, callback) => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const matching: MessageHandler[] = [];
    for (const [filter, set] of handlers) if (topicMatches(filter, packet.topic)) matching.push(...set);
    Promise.allSettled(matching.map((h) => h(packet.topic, payload))).then((results) => {
      for (const r of results) {
        if (r.status === 'rejected') log.error({ err: r.reason, topic: packet.topic }, 'mqtt handler failed');
      }
      callback();
    });
  };

  return {
    kind: 'external',
    sharedSubscriptions,
    async publish(topic, payload, publishOptions = {}) {
      await client.publishAsync(topic, payload, {
        qos: publishOptions.qos ?? 1,
        retain: publishOptions.retain ?? false,
      });
    },
    async subscribe(filter, handler, subscribeOptions = {}) {
      const wire = subscribeOptions.shared && sharedSubscriptions ? `$share/${shareGroup}/${filter}` : filter;
      let set = handlers.get(filter);
      if (!set) {
        set = new Set();
        handlers.set(filter, set);
        await client.subscribeAsync(wire, { qos: 1 });
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(filter) === set) {
          handlers.delete(filter);
          await client.unsubscribeAsync(wire);
        }
      };
    },
    async close() {
      handlers.clear();
      await client.endAsync();
    },
  };
}
