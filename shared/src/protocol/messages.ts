import type * as core from 'zod/v4/core';
import { fail, ok, type Result } from '../result';
import { appPlanSchema } from './app-plan';
import { desiredStateSchema } from './desired';
import {
  MAX_ACK_BYTES,
  MAX_APP_PLAN_BYTES,
  MAX_DESIRED_BYTES,
  MAX_PRESENCE_BYTES,
  MAX_REPORTED_BYTES,
  MAX_TELEMETRY_BYTES,
} from './limits';
import { parseMessage } from './parse';
import { presenceSchema, reportedSchema } from './reported';
import { ackSchema, telemetryReportSchema } from './telemetry';
import type { ParsedTopic } from './topics';

/** Schema and size limit of the payload on each per-device topic. */
export const DEVICE_TOPIC_MESSAGES = {
  desired: { schema: desiredStateSchema, maxBytes: MAX_DESIRED_BYTES },
  reported: { schema: reportedSchema, maxBytes: MAX_REPORTED_BYTES },
  presence: { schema: presenceSchema, maxBytes: MAX_PRESENCE_BYTES },
  telemetry: { schema: telemetryReportSchema, maxBytes: MAX_TELEMETRY_BYTES },
  ack: { schema: ackSchema, maxBytes: MAX_ACK_BYTES },
} as const;

/** Schema and size limit of the payload on each per-app topic. */
export const APP_TOPIC_MESSAGES = {
  desired: { schema: appPlanSchema, maxBytes: MAX_APP_PLAN_BYTES },
  telemetry: { schema: telemetryReportSchema, maxBytes: MAX_TELEMETRY_BYTES },
} as const;

type DeviceMessages = typeof DEVICE_TOPIC_MESSAGES;
type AppMessages = typeof APP_TOPIC_MESSAGES;

/** A validated payload together with the topic it came on, discriminated by `scope` and `kind`. */
export type TopicMessage =
  | {
      [K in keyof DeviceMessages]: {
        scope: 'dev';
        kind: K;
        topic: Extract<ParsedTopic, { scope: 'dev' }> & { kind: K };
        message: core.output<DeviceMessages[K]['schema']>;
      };
    }[keyof DeviceMessages]
  | {
      [K in keyof AppMessages]: {
        scope: 'app';
        kind: K;
        topic: Extract<ParsedTopic, { scope: 'app' }> & { kind: K };
        message: core.output<AppMessages[K]['schema']>;
      };
    }[keyof AppMessages];

/** The id field of a payload that must name the same device or app as its topic. */
const idInPayload = (message: TopicMessage): { field: string; id: string } | undefined => {
  if (message.scope === 'app')
    return message.kind === 'desired' ? { field: 'appId', id: message.message.appId } : undefined;
  switch (message.kind) {
    case 'desired':
    case 'reported':
      return { field: 'deviceId', id: message.message.deviceId };
    case 'telemetry':
    case 'ack':
      return { field: 'clientId', id: message.message.clientId };
    default:
      return undefined;
  }
};

/**
 * Validates the payload of a parsed topic with that topic's schema and size limit, and checks that the
 * device or app id inside names the topic's own (`mismatch` otherwise); never throws.
 */
export const parseTopicMessage = (topic: ParsedTopic, payload: string | Uint8Array): Result<TopicMessage> => {
  const spec = topic.scope === 'dev' ? DEVICE_TOPIC_MESSAGES[topic.kind] : APP_TOPIC_MESSAGES[topic.kind];
  const parsed = parseMessage(spec.schema as core.$ZodType, payload, spec);
  if (!parsed.ok) return parsed;
  const message = { scope: topic.scope, kind: topic.kind, topic, message: parsed.value } as TopicMessage;
  const own = idInPayload(message);
  const expected = topic.scope === 'dev' ? topic.deviceId : topic.appId;
  if (own !== undefined && own.id !== expected) {
    return fail({
      kind: 'mismatch',
      message: `${own.field} ${JSON.stringify(own.id)} does not match the topic's ${JSON.stringify(expected)}`,
      path: own.field,
    });
  }
  return ok(message);
};
