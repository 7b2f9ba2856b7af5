export { type BackoffPolicy, DEFAULT_BACKOFF, reconnectDelayMs } from './backoff';
export {
  MqttClient,
  type MqttClientOptions,
  type MqttEvents,
  type MqttMessage,
  type WebSocketConstructor,
  type WebSocketLike,
} from './client';
export { type InboundPacket, PacketDecoder } from './codec';
export { MqttError, type MqttErrorKind } from './errors';
