import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { eq } from 'drizzle-orm';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { ADMIN_TOKEN_PREFIX } from '../auth/verify';
import { type FleetDb, schema } from '../db';

/** Outcome of first-start bootstrap: the admin token in clear text exists only here, only once. */
export interface AdminBootstrap {
  /** The new admin token on first start; null on every later start. */
  adminToken: string | null;
}

/**
 * Creates the first admin token if the fleet has none (stored as its sha256 hash). Called once the server
 * listens, so a first start that fails does not leave a token nobody has seen.
 */
export function ensureAdminToken(
  db: FleetDb,
  now: number,
  deliver?: (token: string) => void,
): AdminBootstrap {
  const existing = db.select({ id: schema.adminTokens.id }).from(schema.adminTokens).limit(1).get();
  if (existing) return { adminToken: null };
  return { adminToken: mintAdminToken(db, 'bootstrap', now, deliver).token };
}

/**
 * A new admin token (`edgefleet admin-token create --data-dir`, and the first start): clear text only here.
 * `deliver` (e.g. writing the token file) runs before the hash is stored: if it throws, no token exists.
 */
export function mintAdminToken(
  db: FleetDb,
  label: string,
  now: number,
  deliver?: (token: string) => void,
): { id: string; token: string } {
  const token = randomToken(ADMIN_TOKEN_PREFIX);
  const id = randomId('adm');
  deliver?.(token);
  db.insert(schema.adminTokens)
    .values({ id, tokenHash: sha256Hex(token), label, createdAt: now })
    .run();
  return { id, token };
}

/** Writes a secret to `path` readable by the owner only (0600), atomically: a reader never sees half of it. */
export function writeSecretFile(path: string, secret: string): void {
  const temp = join(dirname(path), `.${process.pid}-${Date.now()}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** Reads one fleet setting. */
export function readSetting(db: FleetDb, key: string): string | null {
  return (
    db
      .select({ value: schema.fleetSettings.value })
      .from(schema.fleetSettings)
      .where(eq(schema.fleetSettings.key, key))
      .get()?.value ?? null
  );
}

/** Writes one fleet setting. */
export function writeSetting(db: FleetDb, key: string, value: string, now: number): void {
  db.insert(schema.fleetSettings)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: schema.fleetSettings.key, set: { value, updatedAt: now } })
    .run();
}

/**
 * One fleet setting, created by `make` if it is missing. Insert-or-ignore then read: replicas that race on the
 * first use all end up with the one value that won.
 */
export function readOrCreateSetting(db: FleetDb, key: string, make: () => string, now: number): string {
  db.insert(schema.fleetSettings).values({ key, value: make(), updatedAt: now }).onConflictDoNothing().run();
  const value = readSetting(db, key);
  if (value === null) throw new Error(`fleet setting ${key} vanished right after it was written`);
  return value;
}
