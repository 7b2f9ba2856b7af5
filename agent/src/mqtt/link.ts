import { type DeviceTopicKind, deviceTopic, type Presence } from '@edgefleet/shared';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { DEFAULT_RECONNECT, type ReconnectPolicy, reconnectDelayMs } from './reconnect';

/** How the device connects. */
export interface LinkOptions {
  url: string;
  fleet: string;
  deviceId: string;
  token: string;
  epoch: number;
  logger: Logger;
  reconnect?: ReconnectPolicy;
  keepaliveS?: number;
  /** Called after every (re)connect, once subscriptions and presence are in place. */
  onConnected: () => void;
  /** Called on every disconnect. */
  onDisconnected?: () => void;
  /** A message on one of the device's own topics. */
  onMessage: (kind: 'desired' | 'ack', payload: Buffer) => void;
}

/**
 * The device's MQTT connection: id = username = device id, password = device token, clean session,
 * QoS 0/1 only, no queued QoS 0, a retained `offline` presence as last will, and our own reconnect
 * policy (exponential backoff with jitter) instead of mqtt.js's fixed period. Durability lives in the
 * outbox, never in mqtt.js's in-memory store.
 */
export class MqttLink {
  private client: MqttClient | null = null;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: LinkOptions) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  topic(kind: DeviceTopicKind): string {
    return deviceTopic(this.opts.fleet, this.opts.deviceId, kind);
  }

  private presence(status: Presence['status']): string {
    return JSON.stringify({ v: 1, status, epoch: this.opts.epoch, at: Date.now() } satisfies Presence);
  }

  /** Connects (mqtt.js is loaded here, so an agent that is not enrolled never loads it). */
  async start(): Promise<void> {
    const o = this.opts;
    const { connect } = await import('mqtt');
    if (this.stopped) return;
    const client = connect(o.url, {
      clientId: o.deviceId,
      username: o.deviceId,
      password: o.token,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: o.keepaliveS ?? 30,
      queueQoSZero: false,
      will: {
        topic: this.topic('presence'),
        payload: Buffer.from(this.presence('offline')),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      this.attempt = 0;
      o.logger.info({ deviceId: o.deviceId, url: o.url }, 'mqtt connected');
      client.subscribe([this.topic('desired'), this.topic('ack')], { qos: 1 }, (err) => {
        if (err) {
          o.logger.warn({ err }, 'mqtt subscribe failed; reconnecting');
          client.end(true);
          return;
        }
        client.publish(this.topic('presence'), this.presence('online'), { qos: 1, retain: true });
        o.onConnected();
      });
    });
    client.on('message', (topic, payload) => {
      if (topic === this.topic('desired')) o.onMessage('desired', payload);
      else if (topic === this.topic('ack')) o.onMessage('ack', payload);
    });
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'mqtt error'));
    client.on('close', () => {
      o.onDisconnected?.();
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delayMs = reconnectDelayMs(this.opts.reconnect ?? DEFAULT_RECONNECT, this.attempt++);
    this.opts.logger.debug({ delayMs, attempt: this.attempt }, 'mqtt reconnect scheduled');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.client?.reconnect();
    }, delayMs);
    this.timer.unref();
  }

  /** Publishes; resolves when the broker accepted it (QoS 1) or it was written (QoS 0). */
  publish(kind: DeviceTopicKind, payload: string, qos: 0 | 1, retain = false): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('mqtt not connected'));
    return new Promise((resolve, reject) => {
      client.publish(this.topic(kind), payload, { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Publishes `offline` presence and disconnects; no reconnect afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await this.publish('presence', this.presence('offline'), 1, true).catch(() => undefined);
    }
    await client.endAsync(true).catch(() => undefined);
  }
}
