import { and, eq, isNull } from 'drizzle-orm';
import type { FleetDb } from '../db';
import { schema } from '../db';
import { digestsEqual, sha256Hex } from './tokens';

/** Prefix of admin tokens. */
export const ADMIN_TOKEN_PREFIX = 'efa';
/** Prefix of app publishable keys. */
export const PUBLISHABLE_KEY_PREFIX = 'efp';
/** Prefix of enrollment tokens. */
export const ENROLLMENT_TOKEN_PREFIX = 'efe';

/** A device token is `<deviceId>.<secret>`; the secret is base64url, so it never contains a dot. */
export function splitDeviceToken(token: string): { deviceId: string; secret: string } | null {
  const dot = token.lastIndexOf('.');
  if (dot <= 0 || dot === token.length - 1) return null;
  return { deviceId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

/** The id of the admin token row, or null when the token is unknown or revoked. */
export function verifyAdminToken(db: FleetDb, token: string): string | null {
  const row = db
    .select({ id: schema.adminTokens.id })
    .from(schema.adminTokens)
    .where(and(eq(schema.adminTokens.tokenHash, sha256Hex(token)), isNull(schema.adminTokens.revokedAt)))
    .get();
  return row?.id ?? null;
}

/** Outcome of checking a device's credentials (also used by the MQTT broker's authenticate hook). */
export type DeviceVerdict = { ok: true; deviceId: string } | { ok: false; reason: 'unknown' | 'disabled' };

/** Checks `deviceId` + secret against the stored hash; a disabled device is known but refused. */
export function verifyDeviceSecret(db: FleetDb, deviceId: string, secret: string): DeviceVerdict {
  const row = db
    .select({ tokenHash: schema.devices.tokenHash, disabledAt: schema.devices.disabledAt })
    .from(schema.devices)
    .where(eq(schema.devices.id, deviceId))
    .get();
  if (!row || !digestsEqual(row.tokenHash, sha256Hex(secret))) return { ok: false, reason: 'unknown' };
  if (row.disabledAt !== null) return { ok: false, reason: 'disabled' };
  return { ok: true, deviceId };
}

/** Checks a full device token (`<deviceId>.<secret>`). */
export function verifyDeviceToken(db: FleetDb, token: string): DeviceVerdict {
  const parts = splitDeviceToken(token);
  return parts ? verifyDeviceSecret(db, parts.deviceId, parts.secret) : { ok: false, reason: 'unknown' };
}

/** Outcome of checking an app publishable key. */
export type AppKeyVerdict =
  | { ok: true; appId: string; allowedOrigins: string[] }
  | { ok: false; reason: 'unknown' | 'disabled' };

/** Finds the app a publishable key belongs to. */
export function verifyPublishableKey(db: FleetDb, key: string): AppKeyVerdict {
  const row = db
    .select({
      id: schema.apps.id,
      disabledAt: schema.apps.disabledAt,
      allowedOrigins: schema.apps.allowedOrigins,
    })
    .from(schema.apps)
    .where(eq(schema.apps.publishableKey, key))
    .get();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.disabledAt !== null) return { ok: false, reason: 'disabled' };
  return { ok: true, appId: row.id, allowedOrigins: row.allowedOrigins };
}

/** Whether the admin token with this id exists and is not revoked (a signed URL is only as good as its signer). */
export function adminTokenActive(db: FleetDb, tokenId: string): boolean {
  const row = db
    .select({ id: schema.adminTokens.id })
    .from(schema.adminTokens)
    .where(and(eq(schema.adminTokens.id, tokenId), isNull(schema.adminTokens.revokedAt)))
    .get();
  return row !== undefined;
}
