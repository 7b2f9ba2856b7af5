import { fail, ok, type Result } from '../result';
import { isValidId, MAX_ID_LENGTH } from './primitives';

/** Root of every EdgeFleet topic; `v1` is the protocol major version. */
export const TOPIC_ROOT = 'ef/v1';

/** Kinds of per-device topics under `ef/v1/{fleet}/dev/{id}/…`. */
export const DEVICE_TOPIC_KINDS = ['desired', 'reported', 'presence', 'telemetry', 'ack'] as const;
/** A per-device topic kind. */
export type DeviceTopicKind = (typeof DEVICE_TOPIC_KINDS)[number];

/** Kinds of per-app topics under `ef/v1/{fleet}/app/{appId}/…`. */
export const APP_TOPIC_KINDS = ['desired', 'telemetry'] as const;
/** A per-app topic kind. */
export type AppTopicKind = (typeof APP_TOPIC_KINDS)[number];

/** A topic split into its parts by {@link parseTopic}. */
export type ParsedTopic =
  | { scope: 'dev'; fleet: string; deviceId: string; kind: DeviceTopicKind }
  | { scope: 'app'; fleet: string; appId: string; kind: AppTopicKind };

/** Longest topic {@link parseTopic} looks at: root, two ids, scope and kind. */
export const MAX_TOPIC_LENGTH = TOPIC_ROOT.length + 2 * MAX_ID_LENGTH + 32;

const assertId = (what: string, id: string): void => {
  if (!isValidId(id)) {
    throw new RangeError(
      `invalid ${what} for a topic: expected [A-Za-z0-9._-]{1,128}, got ${JSON.stringify(id.slice(0, 64))}`,
    );
  }
};

/**
 * Topic of one device, e.g. `deviceTopic('acme', 'station-7', 'telemetry')` → `ef/v1/acme/dev/station-7/telemetry`.
 * Throws a RangeError for an invalid id: ids are validated where they enter the system.
 */
export const deviceTopic = (fleet: string, deviceId: string, kind: DeviceTopicKind): string => {
  assertId('fleet', fleet);
  assertId('device id', deviceId);
  return `${TOPIC_ROOT}/${fleet}/dev/${deviceId}/${kind}`;
};

/** Topic of one app, e.g. `appTopic('acme', 'shop', 'desired')` → `ef/v1/acme/app/shop/desired`. Throws on an invalid id. */
export const appTopic = (fleet: string, appId: string, kind: AppTopicKind): string => {
  assertId('fleet', fleet);
  assertId('app id', appId);
  return `${TOPIC_ROOT}/${fleet}/app/${appId}/${kind}`;
};

/** Subscription filter for one kind across all devices of a fleet: `ef/v1/{fleet}/dev/+/{kind}`. */
export const deviceTopicFilter = (fleet: string, kind: DeviceTopicKind): string => {
  assertId('fleet', fleet);
  return `${TOPIC_ROOT}/${fleet}/dev/+/${kind}`;
};

/** Subscription filter for one kind across all apps of a fleet: `ef/v1/{fleet}/app/+/{kind}`. */
export const appTopicFilter = (fleet: string, kind: AppTopicKind): string => {
  assertId('fleet', fleet);
  return `${TOPIC_ROOT}/${fleet}/app/+/${kind}`;
};

/** A shared subscription (`$share/{group}/{filter}`, MQTT 5 and most clustered brokers) so replicas split the load. */
export const sharedSubscription = (group: string, filter: string): string => {
  assertId('share group', group);
  return `$share/${group}/${filter}`;
};

const invalid = (message: string, path: string): Result<never> => fail({ kind: 'invalid', message, path });

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

/** Splits an EdgeFleet topic into scope, ids and kind; never throws. */
export const parseTopic = (topic: string): Result<ParsedTopic> => {
  if (typeof topic !== 'string') return invalid('expected a topic string', 'topic');
  if (topic.length > MAX_TOPIC_LENGTH) {
    return fail({ kind: 'too_large', message: `topic longer than ${MAX_TOPIC_LENGTH} chars`, path: 'topic' });
  }
  const parts = topic.split('/');
  const [root, version, fleet, scope, id, kind] = parts;
  if (root !== 'ef') return invalid(`expected a topic under ${TOPIC_ROOT}/`, 'topic');
  if (version !== 'v1') {
    if (version !== undefined && /^v[0-9]+$/.test(version)) {
      return fail({
        kind: 'unsupported_version',
        message: `expected topic version v1, got ${version}`,
        path: 'topic',
      });
    }
    return invalid(`expected a topic under ${TOPIC_ROOT}/`, 'topic');
  }
  if (
    parts.length !== 6 ||
    fleet === undefined ||
    scope === undefined ||
    id === undefined ||
    kind === undefined
  ) {
    return invalid('expected ef/v1/{fleet}/{dev|app}/{id}/{kind}', 'topic');
  }
  if (!isValidId(fleet)) return invalid('invalid fleet id', 'fleet');
  if (scope === 'dev') {
    if (!isValidId(id)) return invalid('invalid device id', 'deviceId');
    if (!isOneOf(DEVICE_TOPIC_KINDS, kind))
      return invalid(`unknown device topic kind ${JSON.stringify(kind)}`, 'kind');
    return ok({ scope, fleet, deviceId: id, kind });
  }
  if (scope === 'app') {
    if (!isValidId(id)) return invalid('invalid app id', 'appId');
    if (!isOneOf(APP_TOPIC_KINDS, kind))
      return invalid(`unknown app topic kind ${JSON.stringify(kind)}`, 'kind');
    return ok({ scope, fleet, appId: id, kind });
  }
  return invalid('expected scope dev or app', 'scope');
};

/**
 * MQTT client-id namespace of an app's browsers, `app:{appId}:`. A publishable-key login must use a client id in
 * it (the broker refuses any other), so a page can never take over a device's or another app's session.
 */
export const appClientIdPrefix = (appId: string): string => `app:${appId}:`;

/** Longest part of an app client id after its {@link appClientIdPrefix}. */
export const MAX_APP_CLIENT_SUFFIX = 64;

/** Whether `clientId` lies in the namespace of `appId` (prefix plus 1–64 characters). */
export const isAppClientId = (appId: string, clientId: string): boolean => {
  const prefix = appClientIdPrefix(appId);
  const rest = clientId.length - prefix.length;
  return clientId.startsWith(prefix) && rest >= 1 && rest <= MAX_APP_CLIENT_SUFFIX;
};
