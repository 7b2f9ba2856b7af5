import { parseTopic } from '@edgefleet/shared';
import type { Principal } from './principal';

const DEVICE_PUBLISH = new Set(['reported', 'presence', 'telemetry']);
const DEVICE_SUBSCRIBE = new Set(['desired', 'ack']);

/** Options for a publish check. */
export interface PublishCheck {
  /** Only presence may be retained by a device; telemetry and hellos never are. */
  retain?: boolean;
}

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/** May `principal` publish to `topic` in `fleet`? Pure; the server principal may do anything. */
export function canPublish(
  principal: Principal,
  topic: string,
  fleet: string,
  check: PublishCheck = {},
): boolean {
  if (principal.kind === 'server') return true;
  if (hasWildcard(topic)) return false;
  const parsed = parseTopic(topic);
  if (!parsed.ok || parsed.value.fleet !== fleet) return false;
  const t = parsed.value;
  if (principal.kind === 'device') {
    if (t.scope !== 'dev' || t.deviceId !== principal.deviceId || !DEVICE_PUBLISH.has(t.kind)) return false;
    return !check.retain || t.kind === 'presence';
  }
  return t.scope === 'app' && t.appId === principal.appId && t.kind === 'telemetry' && !check.retain;
}

/** May `principal` subscribe to `filter` in `fleet`? Devices and apps get exact topics only, no wildcards. */
export function canSubscribe(principal: Principal, filter: string, fleet: string): boolean {
  if (principal.kind === 'server') return true;
  if (hasWildcard(filter)) return false;
  const parsed = parseTopic(filter);
  if (!parsed.ok || parsed.value.fleet !== fleet) return false;
  const t = parsed.value;
  if (principal.kind === 'device') {
    return t.scope === 'dev' && t.deviceId === principal.deviceId && DEVICE_SUBSCRIBE.has(t.kind);
  }
  return t.scope === 'app' && t.appId === principal.appId && t.kind === 'desired';
}
