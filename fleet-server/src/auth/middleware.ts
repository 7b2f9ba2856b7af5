import { createMiddleware } from 'hono/factory';
import { originAllowed } from '../apps/origins';
import type { FleetDb } from '../db';
import { Forbidden, RateLimited, Unauthorized } from '../errors';
import type { AppEnv, Principal } from '../http/env';
import type { TokenBuckets } from './rate-limit';
import {
  ADMIN_TOKEN_PREFIX,
  PUBLISHABLE_KEY_PREFIX,
  verifyAdminToken,
  verifyDeviceToken,
  verifyPublishableKey,
} from './verify';

/** What the auth middleware needs from the server. */
export interface AuthDeps {
  db: FleetDb;
  appKeyBuckets: TokenBuckets;
}

type PrincipalKind = Principal['kind'];

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function identify(deps: AuthDeps, token: string, origin: string | undefined): Principal {
  if (token.startsWith(`${ADMIN_TOKEN_PREFIX}_`)) {
    const tokenId = verifyAdminToken(deps.db, token);
    if (!tokenId) throw new Unauthorized('unknown or revoked admin token');
    return { kind: 'admin', tokenId };
  }
  if (token.startsWith(`${PUBLISHABLE_KEY_PREFIX}_`)) {
    const verdict = verifyPublishableKey(deps.db, token);
    if (!verdict.ok) {
      if (verdict.reason === 'disabled') throw new Forbidden('app is disabled');
      throw new Unauthorized('unknown publishable key');
    }
    if (!originAllowed(verdict.allowedOrigins, origin)) {
      throw new Forbidden(`origin ${origin} is not among the allowed origins of app ${verdict.appId}`);
    }
    const waitS = deps.appKeyBuckets.take(token);
    if (waitS > 0) throw new RateLimited(`rate limit of app ${verdict.appId} exceeded`, waitS);
    return { kind: 'app', appId: verdict.appId };
  }
  const verdict = verifyDeviceToken(deps.db, token);
  if (!verdict.ok) {
    if (verdict.reason === 'disabled') throw new Forbidden('device is disabled');
    throw new Unauthorized('unknown device token (expected Bearer <deviceId>.<secret>)');
  }
  return { kind: 'device', deviceId: verdict.deviceId };
}

/**
 * Requires a bearer credential of one of `kinds`: admin token (`efa_…`), device token
 * (`<deviceId>.<secret>`) or app publishable key (`efp_…`, also accepted as `?key=` for sendBeacon).
 * Missing or unknown credentials answer 401, a valid credential of another kind 403, and so does a publishable
 * key sent from a browser origin its app does not allow.
 */
export function requireAuth(deps: AuthDeps, ...kinds: PrincipalKind[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    let token = bearerToken(c.req.header('authorization'));
    if (!token && kinds.includes('app')) token = c.req.query('key') ?? null;
    if (!token) throw new Unauthorized('missing Authorization: Bearer <token>');
    const principal = identify(deps, token, c.req.header('origin'));
    if (!kinds.includes(principal.kind)) {
      throw new Forbidden(
        `a ${principal.kind} credential may not call this route (needs ${kinds.join(' or ')})`,
      );
    }
    c.set('principal', principal);
    await next();
  });
}
