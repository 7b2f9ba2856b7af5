import { timingSafeEqual } from 'node:crypto';
import { isAppClientId } from '@edgefleet/shared';
import { originAllowed } from '../apps/origins';
import { verifyDeviceSecret, verifyDeviceToken, verifyPublishableKey } from '../auth/verify';
import type { FleetDb } from '../db';
import type { BrokerAuth, Principal } from './principal';

/** The server's own MQTT credentials (from `--mqtt-url`), accepted as the all-powerful server principal. */
export interface ServerCredentials {
  username: string;
  password: string;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Broker credentials checked against the fleet database:
 * - device: clientId = username = device id, password = device token (`<deviceId>.<secret>`, or the secret alone);
 * - browser: username `app:<appId>`, password = the app's publishable key (`efp_…`), client id `app:<appId>:…`;
 * - the server itself: the username and password of `--mqtt-url` (external broker mode).
 * Disabled devices and apps are refused, and so is an app login over WebSocket from an origin the app does not allow.
 */
export function dbBrokerAuth(db: FleetDb, server?: ServerCredentials): BrokerAuth {
  return {
    async authenticate(clientId, username, password, origin) {
      if (!username || !password) return null;
      if (server && username === server.username) {
        return sameSecret(password, server.password) ? { kind: 'server' } : null;
      }
      if (username.startsWith('app:')) {
        if (!isAppClientId(username.slice(4), clientId)) return null;
        const verdict = verifyPublishableKey(db, password);
        return verdict.ok &&
          verdict.appId === username.slice(4) &&
          originAllowed(verdict.allowedOrigins, origin)
          ? { kind: 'app', appId: verdict.appId }
          : null;
      }
      if (clientId !== username) return null;
      const verdict = password.startsWith(`${username}.`)
        ? verifyDeviceToken(db, password)
        : verifyDeviceSecret(db, username, password);
      return verdict.ok && verdict.deviceId === username ? { kind: 'device', deviceId: username } : null;
    },
  };
}

/**
 * The principal of an already authenticated connection from its client id and username alone (ACL checks of
 * an external broker carry no password): `app:<appId>` with a client id in `app:<appId>:` → app, the server's username → server, otherwise the
 * device whose id is both client id and username. Null when the pair fits none of them.
 */
export function principalOfIdentity(
  clientId: string,
  username: string,
  serverUsername?: string,
): Principal | null {
  if (serverUsername !== undefined && username === serverUsername) return { kind: 'server' };
  if (username.startsWith('app:') && username.length > 4) {
    const appId = username.slice(4);
    return isAppClientId(appId, clientId) ? { kind: 'app', appId } : null;
  }
  return username !== '' && clientId === username ? { kind: 'device', deviceId: username } : null;
}
