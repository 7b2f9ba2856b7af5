import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { ADMIN_TOKEN_PREFIX } from '../auth/verify';
import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { adminTokenView, insertAdminToken, listAdminTokens, revokeAdminToken } from './admin-token-store';

const tags = ['fleet'];

const createTokenRoute = contractRoute(apiRoute('POST /api/v1/admin-tokens'), {
  tags,
  summary: 'Create another admin token (shown once)',
  security: SECURITY.admin,
  responses: { 201: 'Created; `token` is not shown again' },
  errors: [400, 401, 403, 413],
});
const listTokensRoute = contractRoute(apiRoute('GET /api/v1/admin-tokens'), {
  tags,
  summary: 'List admin tokens (never the tokens themselves)',
  security: SECURITY.admin,
  errors: [401, 403],
});
const revokeTokenRoute = contractRoute(apiRoute('DELETE /api/v1/admin-tokens/{id}'), {
  tags,
  summary: 'Revoke an admin token; the last active one cannot be revoked',
  security: SECURITY.admin,
  responses: { 200: 'Revoked' },
  errors: [400, 401, 403, 404, 409],
});

/** Admin token rotation: create, list, revoke. */
export function registerAdminTokenRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createTokenRoute, middleware: [admin] }, (c) => {
    const token = randomToken(ADMIN_TOKEN_PREFIX);
    const row = {
      id: randomId('adm'),
      tokenHash: sha256Hex(token),
      label: c.req.valid('json').label,
      createdAt: ctx.now(),
      revokedAt: null,
    };
    insertAdminToken(ctx.db, row);
    ctx.logger.info({ adminTokenId: row.id }, 'admin token created');
    return c.json({ ...adminTokenView(row), token }, 201);
  });
  app.openapi({ ...listTokensRoute, middleware: [admin] }, (c) =>
    c.json({ tokens: listAdminTokens(ctx.db).map(adminTokenView) }, 200),
  );
  app.openapi({ ...revokeTokenRoute, middleware: [admin] }, (c) => {
    const { id } = c.req.valid('param');
    const revoked = revokeAdminToken(ctx.db, id, ctx.now());
    ctx.revocations.revoke({ kind: 'admin', tokenId: id });
    ctx.logger.info({ adminTokenId: id }, 'admin token revoked');
    return c.json(adminTokenView(revoked), 200);
  });
}
