/** Largest `…/dev/{id}/desired` payload: three model refs with manifests fit many times over. */
export const MAX_DESIRED_BYTES = 64 * 1024;
/** Largest `…/dev/{id}/reported` payload (hello or state). */
export const MAX_REPORTED_BYTES = 32 * 1024;
/** Largest `…/dev/{id}/presence` payload. */
export const MAX_PRESENCE_BYTES = 1024;
/** Largest telemetry window report (a ~50-feature report is ~10 kB). */
export const MAX_TELEMETRY_BYTES = 256 * 1024;
/** Largest `…/dev/{id}/ack` payload. */
export const MAX_ACK_BYTES = 1024;
/** Largest `…/app/{appId}/desired` payload. */
export const MAX_APP_PLAN_BYTES = 64 * 1024;
/** Largest HTTP telemetry batch body. */
export const MAX_TELEMETRY_BATCH_BYTES = 1024 * 1024;
/** Largest enrollment request or response body. */
export const MAX_ENROLL_BYTES = 16 * 1024;
/** Largest model version metadata body (ProfileSpec and baseline profile included). */
export const MAX_MODEL_VERSION_CREATE_BYTES = 1024 * 1024;
/** Limit `parseMessage` applies when none is given. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
