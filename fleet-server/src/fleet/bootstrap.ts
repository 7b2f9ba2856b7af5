import { eq } from 'drizzle-orm';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { ADMIN_TOKEN_PREFIX } from '../auth/verify';
import { type FleetDb, schema } from '../db';

/** Outcome of first-start bootstrap: the admin token in clear text exists only here, only once. */
export interface AdminBootstrap {
  /** The new admin token on first start; null on every later start. */
  adminToken: string | null;
}

/** Creates the first admin token if the fleet has none (stored as its sha256 hash). */
export function ensureAdminToken(db: FleetDb, now: number): AdminBootstrap {
  const existing = db.select({ id: schema.adminTokens.id }).from(schema.adminTokens).limit(1).get();
  if (existing) return { adminToken: null };
  const adminToken = randomToken(ADMIN_TOKEN_PREFIX);
  db.insert(schema.adminTokens)
    .values({ id: randomId('adm'), tokenHash: sha256Hex(adminToken), label: 'bootstrap', createdAt: now })
    .run();
  return { adminToken };
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
