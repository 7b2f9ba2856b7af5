import { randomBytes } from 'node:crypto';
import { apiRoute } from '@edgefleet/shared/api';
import { createMiddleware } from 'hono/factory';
import type { ServerContext } from '../context';
import { InvalidInput, Unauthorized } from '../errors';
import { readOrCreateSetting } from '../fleet/bootstrap';
import type { AppEnv } from '../http/env';
import { contractRoute, SECURITY } from '../http/openapi';
import type { ServerPart } from '../part';
import { requireAuth } from './middleware';
import { signableRequest, signableTarget, signatureMatches, signatureOf, signedUrlOf } from './signed-url';
import { adminTokenActive } from './verify';

/**
 * Key of the HMAC secret in `fleet_settings`: in the database, so every replica signs and checks with the same
 * one; deleting the row (and restarting nothing) invalidates every signed URL at once.
 */
export const DOWNLOAD_SECRET_SETTING = 'downloads.hmacSecret';

/** The HMAC secret of signed URLs, 32 random bytes made on first use. */
function downloadSecret(ctx: ServerContext): Buffer {
  const make = () => randomBytes(32).toString('base64url');
  return Buffer.from(readOrCreateSetting(ctx.db, DOWNLOAD_SECRET_SETTING, make, ctx.now()), 'base64url');
}

const signRoute = contractRoute(apiRoute('POST /api/v1/downloads'), {
  tags: ['downloads'],
  summary: 'Sign a download URL: a dataset export or sample content a browser can GET without a header',
  description:
    'Signs one GET path with its query (HMAC-SHA256 over method, path, canonical query, expiry and the id of the ' +
    'calling admin token) for `--download-url-ttl` (default 5 min). The URL answers exactly as the route does ' +
    'with the header, until it expires or that admin token is revoked; any change to its path, query or ' +
    'signature answers 401. Only dataset exports and sample contents (with their own query) can be signed: ' +
    'any other path answers 400.',
  security: SECURITY.admin,
  responses: { 201: 'Signed' },
  errors: [400, 401, 403, 413],
});

/**
 * Admin routes a signed URL may also open (dataset export, sample content): the Authorization header as
 * `requireAuth(ctx, 'admin')` checks it, or, without a header, `exp`, `by` and `sig` in the query. A signed request
 * passes only if the signature matches the path and query as they arrive, `exp` has not passed and the admin token
 * `by` is still active; every refusal is 401 and names no secret.
 */
export function requireAdminOrSignedUrl(ctx: ServerContext) {
  const admin = requireAuth(ctx, 'admin');
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.header('authorization') || !new URL(c.req.url).searchParams.has('sig')) return admin(c, next);
    const tokenId = verifySignedRequest(ctx, c.req.method, new URL(c.req.url));
    c.set('principal', { kind: 'admin', tokenId });
    await next();
  });
}

/** The admin token id a signed request speaks for; 401 when anything about it does not hold. */
function verifySignedRequest(ctx: ServerContext, method: string, url: URL): string {
  const query = new URLSearchParams(url.search);
  const [exp, by, sig] = (['exp', 'by', 'sig'] as const).map((name) => {
    const values = query.getAll(name);
    query.delete(name);
    if (values.length !== 1) throw new Unauthorized(`signed URL: expected exactly one ${name} parameter`);
    return values[0] as string;
  }) as [string, string, string];
  if (!/^\d{1,15}$/.test(exp)) throw new Unauthorized('signed URL: exp is not a time');
  if (!/^adm_[0-9a-f]{24}$/.test(by)) throw new Unauthorized('signed URL: by is not an admin token id');
  const verdict = signableRequest(url.pathname, query);
  if (method !== 'GET' || !verdict.ok) throw new Unauthorized('signed URL: this request cannot be signed');
  const expiresAt = Number(exp);
  const expected = signatureOf(downloadSecret(ctx), {
    method: 'GET',
    target: verdict.target,
    expiresAt,
    tokenId: by,
  });
  if (!signatureMatches(sig, expected))
    throw new Unauthorized('signed URL: the signature does not match this path and query');
  if (ctx.now() > expiresAt) throw new Unauthorized('signed URL: expired; ask for a new one');
  if (!adminTokenActive(ctx.db, by))
    throw new Unauthorized('signed URL: the admin token that signed it is revoked');
  return by;
}

/** Signed download URLs: `POST /api/v1/downloads` signs, {@link requireAdminOrSignedUrl} checks. */
export function createDownloads(ctx: ServerContext): ServerPart {
  return {
    name: 'downloads',
    routes(app) {
      app.openapi({ ...signRoute, middleware: [requireAuth(ctx, 'admin')] }, (c) => {
        const verdict = signableTarget(c.req.valid('json').path);
        if (!verdict.ok) throw new InvalidInput(`body.path: ${verdict.reason}`, { field: 'path' });
        const principal = c.get('principal');
        if (principal.kind !== 'admin') throw new Unauthorized('only an admin token signs download URLs');
        const expiresAt = ctx.now() + ctx.config.downloadUrlTtlMs;
        const fields = {
          method: 'GET',
          target: verdict.target,
          expiresAt,
          tokenId: principal.tokenId,
        } as const;
        const url = signedUrlOf(downloadSecret(ctx), fields);
        ctx.logger.info(
          { adminTokenId: principal.tokenId, path: verdict.target.path, expiresAt },
          'download URL signed',
        );
        return c.json({ url, expiresAt }, 201);
      });
    },
    close: async () => {},
  };
}
