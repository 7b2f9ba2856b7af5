import {
  type AppPlan,
  appClientIdPrefix,
  appPlanSchema,
  appTopic,
  MAX_APP_PLAN_BYTES,
  parseMessage,
} from '@edgefleet/shared';
import { MqttClient, MqttError, type WebSocketConstructor } from '../mqtt';

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
  /** Default: the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
}

/**
 * Subscribes to the app's retained plan over MQTT over WebSocket ({@link MqttClient}), reconnecting with backoff
 * and resubscribing on its own. Hands on every valid plan (the runtime ignores revs it has applied). Resolves
 * with a stop function.
 */
export async function followPlan(options: PlanLinkOptions): Promise<() => Promise<void>> {
  const topic = appTopic(options.fleet, options.appId, 'desired');
  const client = new MqttClient({
    url: options.url,
    username: `app:${options.appId}`,
    password: options.key,
    // The broker binds client ids to the login: an app key may only use ids in its app's namespace.
    clientId: `${appClientIdPrefix(options.appId)}${options.clientId.slice(0, 40)}-${Math.random().toString(36).slice(2, 10)}`,
    keepAliveS: 30,
    maxPacketBytes: MAX_APP_PLAN_BYTES + 1024,
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
  });
  client.on('connect', () => options.onConnection(true));
  client.on('close', () => options.onConnection(false));
  client.on('error', (error) => {
    if (error.kind === 'bad_credentials' || error.kind === 'not_authorized')
      options.onRejected(`the broker refused the publishable key: ${error.message}`);
  });
  client.on('message', ({ topic: from, payload }) => {
    if (from !== topic || payload.length === 0) return;
    const parsed = parseMessage(appPlanSchema, payload, { maxBytes: MAX_APP_PLAN_BYTES });
    if (!parsed.ok) {
      options.onRejected(`${parsed.error.kind}: ${parsed.error.message}`);
      return;
    }
    if (parsed.value.appId !== options.appId) return;
    options.onPlan(parsed.value);
  });
  client.subscribe(topic, 1).catch((error: unknown) => {
    if (error instanceof MqttError && error.kind !== 'closed')
      options.onRejected(`subscribe failed: ${error.message}`);
  });
  client.start();
  return () => client.close();
}
