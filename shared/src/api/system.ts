import { z } from 'zod';
import { publicJwkSchema } from '../protocol/manifest';
import { idSchema } from '../protocol/primitives';
import { API_PREFIX, defineRoute } from './route';

/** A P-256 public key (RFC 7517's example key). */
export const EXAMPLE_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  alg: 'ES256',
  use: 'sig',
} as const;

/** The server's own storage, as its last write probe and its writes found it. */
export const storageHealthViewSchema = z
  .object({
    status: z.enum(['ok', 'full', 'readonly', 'io']).meta({
      description: 'ok, or why writes fail: full (SQLITE_FULL, ENOSPC, EDQUOT), readonly, io',
    }),
    message: z.string().nullable(),
    sinceMs: z.int().nullable().meta({ description: 'when writes began to fail' }),
    errors: z.int().meta({ description: 'storage errors since the server started' }),
    checkedAt: z.int().meta({ description: 'when the last write probe ran' }),
  })
  .meta({ id: 'StorageHealth' });

/** `GET /healthz` and `/readyz`: the server answers, its database reads, its storage takes a small write. */
export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']).meta({ description: 'degraded: storage writes fail' }),
    fleet: idSchema,
    db: z.literal('ok'),
    storage: storageHealthViewSchema,
    uptimeS: z.number(),
  })
  .meta({
    id: 'Health',
    example: {
      status: 'ok',
      fleet: 'plant-a',
      db: 'ok',
      storage: { status: 'ok', message: null, sinceMs: null, errors: 0, checkedAt: 1764000000000 },
      uptimeS: 3600.5,
    },
  });
/** `GET /healthz`. */
export type Health = z.infer<typeof healthSchema>;

/** `GET /api/v1/fleet`: the fleet's name, endpoints and the public keys that verify every manifest. */
export const fleetSchema = z
  .object({
    fleet: idSchema,
    apiUrl: z.string(),
    mqttUrl: z.string(),
    signingKeys: z.array(publicJwkSchema),
  })
  .meta({
    id: 'Fleet',
    example: {
      fleet: 'plant-a',
      apiUrl: 'http://10.0.0.5:8080',
      mqttUrl: 'mqtt://10.0.0.5:1883',
      signingKeys: [EXAMPLE_JWK],
    },
  });
/** `GET /api/v1/fleet`. */
export type Fleet = z.infer<typeof fleetSchema>;

/** An admin token as listed (never the token itself). */
export const adminTokenSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    createdAt: z.int(),
    revokedAt: z.int().nullable(),
  })
  .meta({
    id: 'AdminToken',
    example: { id: 'adm_0123456789abcdef01234567', label: 'ci', createdAt: 1764000000000, revokedAt: null },
  });
/** An admin token as listed. */
export type AdminToken = z.infer<typeof adminTokenSchema>;

/** A new admin token: `token` is shown this once. */
export const createdAdminTokenSchema = adminTokenSchema.extend({ token: z.string() }).meta({
  id: 'CreatedAdminToken',
  example: {
    id: 'adm_0123456789abcdef01234567',
    label: 'ci',
    createdAt: 1764000000000,
    revokedAt: null,
    token: 'efa_9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  },
});

/** Body of `POST /api/v1/admin-tokens`. */
export const adminTokenCreateSchema = z
  .object({ label: z.string().min(1).max(128) })
  .meta({ id: 'AdminTokenCreate', example: { label: 'ci' } });

const adminTokenIdParams = z.object({
  id: z.string().regex(/^adm_[0-9a-f]{24}$/, 'expected an admin token id (adm_…)'),
});

const adminTokens = `${API_PREFIX}/admin-tokens`;

/** The system routes: health, Prometheus metrics, fleet facts, admin tokens. */
export const systemRoutes = [
  defineRoute({ method: 'get', path: '/healthz', responses: { 200: healthSchema } }),
  defineRoute({ method: 'get', path: '/readyz', responses: { 200: healthSchema, 503: healthSchema } }),
  defineRoute({
    method: 'get',
    path: '/metrics',
    responses: { 200: z.string().meta({ example: '# HELP http_requests_total …' }) },
    rawResponse: 'text/plain',
  }),
  defineRoute({ method: 'get', path: `${API_PREFIX}/fleet`, responses: { 200: fleetSchema } }),
  defineRoute({
    method: 'post',
    path: adminTokens,
    body: adminTokenCreateSchema,
    responses: { 201: createdAdminTokenSchema },
  }),
  defineRoute({
    method: 'get',
    path: adminTokens,
    responses: {
      200: z
        .object({ tokens: z.array(adminTokenSchema) })
        .meta({ id: 'AdminTokenList', example: { tokens: [] } }),
    },
  }),
  defineRoute({
    method: 'delete',
    path: `${adminTokens}/{id}`,
    params: adminTokenIdParams,
    responses: { 200: adminTokenSchema },
  }),
] as const;
