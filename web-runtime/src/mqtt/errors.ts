/** What went wrong on the MQTT link. */
export type MqttErrorKind =
  /** CONNACK 1: the broker does not speak MQTT 3.1.1. */
  | 'unacceptable_protocol'
  /** CONNACK 2. */
  | 'identifier_rejected'
  /** CONNACK 3. */
  | 'server_unavailable'
  /** CONNACK 4. */
  | 'bad_credentials'
  /** CONNACK 5. */
  | 'not_authorized'
  /** A CONNACK code outside 0…5, or no CONNACK in time. */
  | 'connect_failed'
  /** SUBACK 0x80. */
  | 'subscribe_refused'
  /** Bytes that are not a valid MQTT 3.1.1 packet from a broker. */
  | 'malformed'
  /** A packet over the size limit. */
  | 'too_large'
  /** No PINGRESP, CONNACK or ack in time. */
  | 'timeout'
  /** The WebSocket failed or closed. */
  | 'transport'
  /** Bad arguments given by the caller (topic, id, lengths). */
  | 'invalid'
  /** The client was closed (or the connection dropped before an ack). */
  | 'closed';

/** The MQTT link's error; `kind` is stable, `message` says what was expected and what came. */
export class MqttError extends Error {
  override readonly name = 'MqttError';
  constructor(
    readonly kind: MqttErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const CONNACK_KINDS: Record<number, MqttErrorKind> = {
  1: 'unacceptable_protocol',
  2: 'identifier_rejected',
  3: 'server_unavailable',
  4: 'bad_credentials',
  5: 'not_authorized',
};

/** The error for a CONNACK return code other than 0. */
export const connackError = (code: number): MqttError =>
  new MqttError(
    CONNACK_KINDS[code] ?? 'connect_failed',
    `broker refused the connection: CONNACK return code ${code}`,
  );
