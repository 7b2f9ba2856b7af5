import { and, asc, eq, isNull, ne } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { Conflict, NotFound } from '../errors';

const table = schema.adminTokens;
type AdminTokenRow = typeof table.$inferSelect;

/** An admin token without its hash. */
export const adminTokenView = ({ tokenHash: _hash, ...rest }: AdminTokenRow) => rest;

/** Stores a new admin token (by its hash). */
export function insertAdminToken(db: FleetDb, row: AdminTokenRow): void {
  db.insert(table).values(row).run();
}

/** Every admin token, oldest first. */
export function listAdminTokens(db: FleetDb): AdminTokenRow[] {
  return db.select().from(table).orderBy(asc(table.createdAt)).all();
}

/** Revokes a token (idempotent); refuses (409) to revoke the last active one. */
export function revokeAdminToken(db: FleetDb, id: string, now: number): AdminTokenRow {
  return db.transaction((tx) => {
    const row = tx.select().from(table).where(eq(table.id, id)).get();
    if (!row) throw new NotFound(`no admin token ${id}`);
    if (row.revokedAt !== null) return row;
    const others = tx
      .select({ id: table.id })
      .from(table)
      .where(and(ne(table.id, id), isNull(table.revokedAt)))
      .get();
    if (!others) throw new Conflict('the last active admin token cannot be revoked; create another first');
    tx.update(table).set({ revokedAt: now }).where(eq(table.id, id)).run();
    return { ...row, revokedAt: now };
  });
}
