/**
 * Version of the EdgeFleet wire protocol. Every top-level MQTT payload carries it as `v`; the
 * topic prefix `ef/v1` names the same major version. A receiver answers a different `v` with an
 * `unsupported_version` error instead of guessing.
 */
export const PROTOCOL_VERSION = 1 as const;

/** The literal type of {@link PROTOCOL_VERSION}. */
export type ProtocolVersion = typeof PROTOCOL_VERSION;
