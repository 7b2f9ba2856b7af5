import { asc, eq } from 'drizzle-orm';
import { randomId, randomToken } from '../auth/tokens';
import { PUBLISHABLE_KEY_PREFIX } from '../auth/verify';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { Conflict, NotFound } from '../errors';

export type AppRow = typeof schema.apps.$inferSelect;

/** An app as the admin API shows it (the publishable key is public by design). */
export const toAppView = (row: AppRow) => ({
  id: row.id,
  name: row.name,
  publishableKey: row.publishableKey,
  allowedOrigins: row.allowedOrigins,
  createdAt: row.createdAt,
  disabled: row.disabledAt !== null,
  planRev: row.planRev,
});

const isUniqueViolation = (error: unknown): boolean =>
  /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test((error as { code?: string }).code ?? '');

/** Creates a web app with a fresh publishable key; 409 when the id or name is taken. */
export function createApp(
  ctx: ServerContext,
  input: { id?: string | undefined; name: string; allowedOrigins: string[] },
) {
  const row: AppRow = {
    id: input.id ?? randomId('app'),
    name: input.name,
    publishableKey: randomToken(PUBLISHABLE_KEY_PREFIX, 24),
    allowedOrigins: input.allowedOrigins,
    createdAt: ctx.now(),
    disabledAt: null,
    plan: null,
    planRev: 0,
  };
  try {
    ctx.db.insert(schema.apps).values(row).run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`an app with id ${row.id} or name '${row.name}' exists`);
    throw error;
  }
  ctx.logger.info({ appId: row.id }, 'app created');
  return row;
}

/** All apps by name. */
export const listApps = (ctx: ServerContext): AppRow[] =>
  ctx.db.select().from(schema.apps).orderBy(asc(schema.apps.name)).all();

/** One app, or NotFound. */
export function getApp(ctx: ServerContext, id: string): AppRow {
  const row = ctx.db.select().from(schema.apps).where(eq(schema.apps.id, id)).get();
  if (!row) throw new NotFound(`no app ${id}`);
  return row;
}

/** Changes an admin may make to an app. */
export interface AppPatch {
  name?: string | undefined;
  allowedOrigins?: string[] | undefined;
  disabled?: boolean | undefined;
  rotateKey?: boolean | undefined;
}

/**
 * Applies a patch; `rotateKey` issues a new publishable key and the old one stops working at once: open MQTT
 * sessions of the app (rotation, disabling) are closed.
 */
export function patchApp(ctx: ServerContext, id: string, patch: AppPatch): AppRow {
  const row = getApp(ctx, id);
  const next: AppRow = {
    ...row,
    name: patch.name ?? row.name,
    allowedOrigins: patch.allowedOrigins ?? row.allowedOrigins,
    disabledAt:
      patch.disabled === undefined ? row.disabledAt : patch.disabled ? (row.disabledAt ?? ctx.now()) : null,
    publishableKey: patch.rotateKey ? randomToken(PUBLISHABLE_KEY_PREFIX, 24) : row.publishableKey,
  };
  try {
    ctx.db.update(schema.apps).set(next).where(eq(schema.apps.id, id)).run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`an app named '${next.name}' exists`, { field: 'name' });
    throw error;
  }
  if (patch.rotateKey || (next.disabledAt !== null && row.disabledAt === null)) {
    ctx.revocations.revoke({ kind: 'app', appId: id });
  }
  return next;
}

/** Deletes an app. */
export function deleteApp(ctx: ServerContext, id: string): void {
  if (ctx.db.delete(schema.apps).where(eq(schema.apps.id, id)).run().changes === 0) {
    throw new NotFound(`no app ${id}`);
  }
  ctx.revocations.revoke({ kind: 'app', appId: id });
}
