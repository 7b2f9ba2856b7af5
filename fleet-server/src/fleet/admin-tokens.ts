import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, isNull, ne } from 'drizzle-orm';
import { requireAuth } from '../auth/middleware';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { ADMIN_TOKEN_PREFIX } from '../auth/verify';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { Conflict, NotFound } from '../errors';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';

const adminTokenSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    createdAt: z.number().int(),
    revokedAt: z.number().int().nullable(),
  })
  .openapi('AdminToken');

const path = `${API_PREFIX}/admin-tokens`;
const idParam = z.object({
  id: z.string().regex(/^adm_[0-9a-f]{24}$/, 'expected an admin token id (adm_…)'),
});

const createTokenRoute = createRoute({
  method: 'post',
  path,
  tags: ['fleet'],
  summary: 'Create another admin token (shown once)',
  security: SECURITY.admin,
  request: { body: jsonBody(z.object({ label: z.string().min(1).max(128) })) },
  responses: {
    201: jsonResponse(adminTokenSchema.extend({ token: z.string() }), 'Created; `token` is not shown again'),
    ...errorResponses(400, 401, 403, 413),
  },
});
const listTokensRoute = createRoute({
  method: 'get',
  path,
  tags: ['fleet'],
  summary: 'List admin tokens (never the tokens themselves)',
  security: SECURITY.admin,
  responses: {
    200: jsonResponse(z.object({ tokens: z.array(adminTokenSchema) }), 'Tokens'),
    ...errorResponses(401, 403),
  },
});
const revokeTokenRoute = createRoute({
  method: 'delete',
  path: `${path}/{id}`,
  tags: ['fleet'],
  summary: 'Revoke an admin token; the last active one cannot be revoked',
  security: SECURITY.admin,
  request: { params: idParam },
  responses: { 200: jsonResponse(adminTokenSchema, 'Revoked'), ...errorResponses(400, 401, 403, 404, 409) },
});

const view = ({ tokenHash: _hash, ...rest }: typeof schema.adminTokens.$inferSelect) => rest;

/** Admin token rotation: create, list, revoke. */
export function registerAdminTokenRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  const table = schema.adminTokens;
  app.openapi({ ...createTokenRoute, middleware: [admin] }, (c) => {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const row = {
      id: randomId('adm'),
      tokenHash: sha256Hex(token),
      label: c.req.valid('json').label,
      createdAt: ctx.now(),
      revokedAt: null,
    };
    ctx.db.insert(table).values(row).run();
    ctx.logger.info({ adminTokenId: row.id }, 'admin token created');
    return c.json({ ...view(row), token }, 201);
  });
  app.openapi({ ...listTokensRoute, middleware: [admin] }, (c) =>
    c.json({ tokens: ctx.db.select().from(table).orderBy(asc(table.createdAt)).all().map(view) }, 200),
  );
  app.openapi({ ...revokeTokenRoute, middleware: [admin] }, (c) => {
    const { id } = c.req.valid('param');
    const revoked = ctx.db.transaction((tx) => {
      const row = tx.select().from(table).where(eq(table.id, id)).get();
      if (!row) throw new NotFound(`no admin token ${id}`);
      if (row.revokedAt !== null) return row;
      const others = tx
        .select({ id: table.id })
        .from(table)
        .where(and(ne(table.id, id), isNull(table.revokedAt)))
        .get();
      if (!others) throw new Conflict('the last active admin token cannot be revoked; create another first');
      const revokedAt = ctx.now();
      tx.update(table).set({ revokedAt }).where(eq(table.id, id)).run();
      return { ...row, revokedAt };
    });
    ctx.logger.info({ adminTokenId: id }, 'admin token revoked');
    return c.json(view(revoked), 200);
  });
}
