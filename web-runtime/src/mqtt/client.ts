import { Emitter } from '../events';
import { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelayMs } from './backoff';
import {
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  type InboundPacket,
  PacketDecoder,
} from './codec';
import { connackError, MqttError } from './errors';

/** The part of the WHATWG `WebSocket` the client uses (browsers' own, or `ws` in Node tests). */
export interface WebSocketLike {
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Options of {@link MqttClient}. */
export interface MqttClientOptions {
  /** `ws(s)://host/mqtt`. */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Keep-alive in seconds (default 30); a PINGREQ goes out each period. */
  keepAliveS?: number;
  /** How long to wait for CONNACK, PINGRESP or PUBACK (default 10 s). */
  timeoutMs?: number;
  /** Largest packet accepted from the broker (default 1 MiB). */
  maxPacketBytes?: number;
  reconnect?: Partial<BackoffPolicy>;
  /** Default: the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Jitter source (default Math.random). */
  random?: () => number;
}

/** A message from a subscription. */
export interface MqttMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

/** Client events. */
export interface MqttEvents extends Record<string, unknown> {
  connect: { sessionPresent: boolean };
  /** The connection dropped (a reconnect follows unless the client was closed). */
  close: { error?: MqttError };
  message: MqttMessage;
  /** A refused connection, a malformed packet, a refused subscription, a timeout. */
  error: MqttError;
}

interface Subscription {
  qos: 0 | 1;
  waiters: { resolve: (qos: number) => void; reject: (error: MqttError) => void }[];
}

type Waiter = {
  resolve: () => void;
  reject: (error: MqttError) => void;
  timer: ReturnType<typeof setTimeout>;
};

/**
 * A small MQTT 3.1.1 client over WebSocket (binary frames, subprotocol `mqtt`): clean sessions, QoS 0/1 in
 * and out, keep-alive, reconnect with exponential backoff and jitter, resubscribe on reconnect. It keeps no
 * offline queue: a publish while disconnected rejects (the runtime's outbox is the durable store). Nothing
 * the broker sends can throw into the page: bad bytes close the connection with an `error` event.
 * @example
 * const c = new MqttClient({ url: 'wss://fleet.example/mqtt', clientId, username, password });
 * c.on('message', (m) => …); c.start(); await c.subscribe('ef/v1/acme/app/web/desired', 1);
 */
export class MqttClient {
  private readonly events = new Emitter<MqttEvents>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly subacks = new Map<number, string[]>();
  private readonly pubacks = new Map<number, Waiter>();
  private socket: WebSocketLike | undefined;
  private decoder: PacketDecoder | undefined;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private nextId = 1;
  private timers: { connect?: ReturnType<typeof setTimeout>; ping?: ReturnType<typeof setTimeout> } = {};
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: MqttClientOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  on<K extends keyof MqttEvents>(name: K, listener: (event: MqttEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Opens the connection (and keeps it open until {@link close}). */
  start(): void {
    if (!this.closed && !this.socket) this.open();
  }

  /**
   * Subscribes now (or on the next connect) and again after every reconnect; resolves with the granted QoS.
   * Rejects with `subscribe_refused` on SUBACK 0x80 (the filter is then forgotten) or `closed`.
   */
  subscribe(topic: string, qos: 0 | 1 = 1): Promise<number> {
    if (this.closed) return Promise.reject(new MqttError('closed', 'the client is closed'));
    return new Promise((resolve, reject) => {
      const existing = this.subscriptions.get(topic);
      const sub: Subscription = { qos, waiters: [...(existing?.waiters ?? []), { resolve, reject }] };
      this.subscriptions.set(topic, sub);
      if (this.connected) this.sendSubscribe([topic]);
    });
  }

  /** Publishes; QoS 1 resolves on PUBACK. Rejects (`closed`, `timeout`, `invalid`) — never queued offline. */
  publish(
    topic: string,
    payload: Uint8Array | string,
    o: { qos?: 0 | 1; retain?: boolean } = {},
  ): Promise<void> {
    if (!this.connected) return Promise.reject(new MqttError('closed', 'not connected'));
    const qos = o.qos ?? 0;
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    try {
      if (qos === 0) {
        this.send(encodePublish({ topic, payload: bytes, qos, retain: o.retain ?? false }));
        return Promise.resolve();
      }
      const id = this.allocateId(this.pubacks);
      const frame = encodePublish({ topic, payload: bytes, qos, retain: o.retain ?? false, id });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pubacks.delete(id);
          reject(new MqttError('timeout', `no PUBACK for packet ${id} within ${this.timeoutMs} ms`));
        }, this.timeoutMs);
        this.pubacks.set(id, { resolve, reject, timer });
        this.send(frame);
      });
    } catch (error) {
      return Promise.reject(error instanceof MqttError ? error : new MqttError('invalid', String(error)));
    }
  }

  /** Sends DISCONNECT, closes the socket and stops reconnecting; pending calls reject with `closed`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (socket && this.connected) this.trySend(socket, encodeDisconnect());
    this.drop(new MqttError('closed', 'the client was closed'));
    for (const sub of this.subscriptions.values())
      for (const w of sub.waiters) w.reject(new MqttError('closed', 'the client was closed'));
    this.subscriptions.clear();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 10_000;
  }

  private open(): void {
    const Ctor =
      this.options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor | undefined);
    let socket: WebSocketLike;
    try {
      if (!Ctor) throw new Error('no WebSocket implementation');
      socket = new Ctor(this.options.url, 'mqtt');
    } catch (error) {
      this.events.emit(
        'error',
        new MqttError('transport', `cannot open ${this.options.url}: ${String(error)}`),
      );
      this.scheduleReconnect();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.decoder = new PacketDecoder(this.options.maxPacketBytes ?? 1024 * 1024);
    socket.onopen = () => {
      try {
        this.send(
          encodeConnect({
            clientId: this.options.clientId,
            keepAliveS: this.options.keepAliveS ?? 30,
            ...(this.options.username !== undefined ? { username: this.options.username } : {}),
            ...(this.options.password !== undefined ? { password: this.options.password } : {}),
          }),
        );
      } catch (error) {
        this.fail(error instanceof MqttError ? error : new MqttError('invalid', String(error)));
        return;
      }
      this.timers.connect = setTimeout(
        () => this.fail(new MqttError('timeout', `no CONNACK within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    };
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onerror = () => {
      if (socket === this.socket)
        this.fail(new MqttError('transport', `WebSocket ${this.options.url} failed`));
    };
    socket.onclose = () => {
      if (socket === this.socket) this.fail(new MqttError('transport', 'the broker closed the connection'));
    };
  }

  private receive(socket: WebSocketLike, data: unknown): void {
    if (socket !== this.socket || !this.decoder) return;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.fail(new MqttError('malformed', 'a text frame: MQTT over WebSocket uses binary frames'));
      return;
    }
    const { packets, error } = this.decoder.push(bytes);
    for (const packet of packets) {
      if (socket !== this.socket) return;
      this.handle(packet);
    }
    if (error && socket === this.socket) this.fail(error);
  }

  private handle(packet: InboundPacket): void {
    if (!this.connected && packet.type !== 'connack') {
      this.fail(new MqttError('malformed', `expected CONNACK first, got ${packet.type.toUpperCase()}`));
      return;
    }
    switch (packet.type) {
      case 'connack':
        this.onConnack(packet);
        return;
      case 'publish':
        this.events.emit('message', {
          topic: packet.topic,
          payload: packet.payload,
          qos: packet.qos,
          retain: packet.retain,
        });
        if (packet.id !== undefined) this.send(encodePuback(packet.id));
        return;
      case 'puback': {
        const waiter = this.pubacks.get(packet.id);
        this.pubacks.delete(packet.id);
        clearTimeout(waiter?.timer);
        waiter?.resolve();
        return;
      }
      case 'suback':
        this.onSuback(packet.id, packet.granted);
        return;
      case 'pingresp':
        clearTimeout(this.timers.ping);
        this.timers.ping = undefined;
        return;
      case 'unsuback':
        return;
    }
  }

  private onConnack(packet: Extract<InboundPacket, { type: 'connack' }>): void {
    clearTimeout(this.timers.connect);
    if (this.connected) {
      this.fail(new MqttError('malformed', 'a second CONNACK'));
      return;
    }
    if (packet.returnCode !== 0) {
      this.fail(connackError(packet.returnCode));
      return;
    }
    this.connected = true;
    this.attempt = 0;
    const keepAliveMs = (this.options.keepAliveS ?? 30) * 1000;
    if (keepAliveMs > 0) this.keepAlive = setInterval(() => this.ping(), keepAliveMs);
    this.events.emit('connect', { sessionPresent: packet.sessionPresent });
    if (this.subscriptions.size > 0) this.sendSubscribe([...this.subscriptions.keys()]);
  }

  private onSuback(id: number, granted: number[]): void {
    const topics = this.subacks.get(id);
    this.subacks.delete(id);
    if (!topics) return;
    if (granted.length !== topics.length) {
      this.fail(
        new MqttError('malformed', `SUBACK with ${granted.length} codes for ${topics.length} filters`),
      );
      return;
    }
    topics.forEach((topic, i) => {
      const sub = this.subscriptions.get(topic);
      if (!sub) return;
      const waiters = sub.waiters;
      sub.waiters = [];
      if (granted[i] === 0x80) {
        this.subscriptions.delete(topic);
        const error = new MqttError('subscribe_refused', `the broker refused the subscription to ${topic}`);
        for (const w of waiters) w.reject(error);
        this.events.emit('error', error);
      } else for (const w of waiters) w.resolve(granted[i]!);
    });
  }

  private sendSubscribe(topics: string[]): void {
    const id = this.allocateId(this.subacks);
    this.subacks.set(id, topics);
    this.send(
      encodeSubscribe(
        id,
        topics.map((topic) => ({ topic, qos: this.subscriptions.get(topic)!.qos })),
      ),
    );
  }

  private ping(): void {
    if (!this.connected || this.timers.ping) return;
    this.send(encodePingreq());
    this.timers.ping = setTimeout(
      () => this.fail(new MqttError('timeout', `no PINGRESP within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
  }

  private allocateId(inUse: Map<number, unknown>): number {
    for (let i = 0; i < 0xffff; i++) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffff ? 1 : this.nextId + 1;
      if (!inUse.has(id) && !this.subacks.has(id) && !this.pubacks.has(id)) return id;
    }
    throw new MqttError('invalid', 'all 65535 packet ids are in flight');
  }

  private send(frame: Uint8Array): void {
    if (this.socket) this.trySend(this.socket, frame);
  }

  private trySend(socket: WebSocketLike, frame: Uint8Array): void {
    try {
      socket.send(frame);
    } catch (error) {
      this.fail(new MqttError('transport', `send failed: ${String(error)}`));
    }
  }

  /** Drops the connection with `error` and reconnects (unless closed). */
  private fail(error: MqttError): void {
    if (!this.socket) return;
    this.events.emit('error', error);
    this.drop(error);
    this.scheduleReconnect();
  }

  private drop(error: MqttError): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.decoder = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.ping);
    clearInterval(this.keepAlive);
    this.timers = {};
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(1000);
    } catch {
      // already closing
    }
    for (const waiter of this.pubacks.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new MqttError('closed', `connection dropped before PUBACK: ${error.message}`));
    }
    this.pubacks.clear();
    this.subacks.clear();
    if (wasConnected || error.kind !== 'closed') this.events.emit('close', { error });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    const delay = reconnectDelayMs(this.attempt++, this.backoff, this.options.random ?? Math.random);
    this.reconnectTimer = setTimeout(() => {
      if (!this.closed && !this.socket) this.open();
    }, delay);
  }
}
