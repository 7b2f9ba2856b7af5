import { type AppPlan, appPlanSchema, appTopic, MAX_APP_PLAN_BYTES, parseMessage } from '@edgefleet/shared';
import type { MqttClient } from 'mqtt';

/** Options of {@link followPlan}. */
export interface PlanLinkOptions {
  /** `ws(s)://host/mqtt` of the fleet server. */
  url: string;
  fleet: string;
  appId: string;
  key: string;
  clientId: string;
  onPlan: (plan: AppPlan) => void;
  onConnection: (online: boolean) => void;
  /** Invalid plans: counted and ignored, never applied. */
  onRejected: (reason: string) => void;
}

/**
 * Subscribes to the app's retained plan over MQTT over WebSocket (mqtt.js), reconnecting on its own.
 * Hands on every valid plan (the runtime ignores revs it has applied). Resolves with a stop function.
 */
export async function followPlan(options: PlanLinkOptions): Promise<() => Promise<void>> {
  const mod = await import('mqtt');
  // The browser build of mqtt.js has only a default export; Node's has named ones.
  const connect =
    (mod as unknown as { default?: { connect?: typeof mod.connect } }).default?.connect ?? mod.connect;
  const topic = appTopic(options.fleet, options.appId, 'desired');
  const client: MqttClient = connect(options.url, {
    protocolVersion: 4,
    username: `app:${options.appId}`,
    password: options.key,
    clientId: `${options.clientId.slice(0, 40)}-${Math.random().toString(36).slice(2, 10)}`,
    clean: true,
    reconnectPeriod: 2_000,
    connectTimeout: 10_000,
    queueQoSZero: false,
  });
  client.on('connect', () => {
    options.onConnection(true);
    client.subscribe(topic, { qos: 1 }, (error) => {
      if (error) options.onRejected(`subscribe failed: ${error.message}`);
    });
  });
  client.on('close', () => options.onConnection(false));
  client.on('error', () => options.onConnection(false));
  client.on('message', (_topic, payload) => {
    if (payload.length === 0) return;
    const parsed = parseMessage(appPlanSchema, payload, { maxBytes: MAX_APP_PLAN_BYTES });
    if (!parsed.ok) {
      options.onRejected(`${parsed.error.kind}: ${parsed.error.message}`);
      return;
    }
    if (parsed.value.appId !== options.appId) return;
    options.onPlan(parsed.value);
  });
  return () => new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
}
