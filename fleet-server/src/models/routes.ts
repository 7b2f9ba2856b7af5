import { modelVersionCreateSchema } from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { planReferences } from '../apps/plan-access';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { Forbidden, InvalidInput } from '../errors';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';
import {
  createModelVersion,
  deprecateVersion,
  getVersion,
  listModels,
  listVersions,
  type VersionRow,
  versionUrls,
} from './registry';

const nameParam = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a model name of [A-Za-z0-9._-], at most 128 chars')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'defect' }),
});
const versionParams = nameParam.extend({
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'expected a version of [A-Za-z0-9._+-]')
    .openapi({ param: { name: 'version', in: 'path' }, example: '3.0.0' }),
});

const versionSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    sha256: z.string(),
    sizeBytes: z.number().int(),
    preprocessing: z.record(z.string(), z.unknown()),
    lineage: z.record(z.string(), z.unknown()),
    specHash: z.string(),
    baselineSha256: z.string(),
    goldenSha256: z.string().nullable(),
    /** Who registered it: `admin:<admin token id>` (lineage.createdBy is what the caller claims). */
    createdBy: z.string(),
    createdAt: z.number().int(),
    deprecatedAt: z.number().int().nullable(),
    deprecationReason: z.string().nullable(),
    manifest: z.record(z.string(), z.unknown()),
    signature: z.object({ alg: z.string(), keyId: z.string(), value: z.string() }),
    artifactUrl: z.string(),
    profileSpecUrl: z.string(),
    baselineUrl: z.string(),
    goldenUrl: z.string().optional(),
  })
  .openapi('ModelVersion');

const modelSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    createdAt: z.number().int(),
    versions: z.number().int(),
    latestCreatedAt: z.number().int().nullable(),
  })
  .openapi('Model');

/** `baseline: { fromReference }`: the server computes the baseline from a `kind=reference` artifact. */
export const fromReferenceSchema = z
  .strictObject({
    fromReference: z.strictObject({
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of a kind=reference artifact'),
      bins: z.int().min(1).max(20).optional(),
      classes: z.array(z.string().min(1).max(128)).min(2).max(1024).optional(),
      outputName: z.string().min(1).max(128).optional(),
    }),
  })
  .openapi('BaselineFromReference');

const createBodySchema = modelVersionCreateSchema.extend({
  baseline: z.union([modelVersionCreateSchema.shape.baseline, fromReferenceSchema]),
  description: z.string().max(1024).optional(),
});

function toVersionView(row: VersionRow) {
  const manifest = row.manifest as {
    sha256: string;
    sizeBytes: number;
    specHash: string;
    goldenSha256?: string;
  };
  return {
    name: row.modelName,
    version: row.version,
    sha256: manifest.sha256,
    sizeBytes: manifest.sizeBytes,
    preprocessing: row.preprocessing,
    lineage: row.lineage,
    specHash: manifest.specHash,
    baselineSha256: row.baselineSha256 ?? '',
    goldenSha256: manifest.goldenSha256 ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    deprecatedAt: row.deprecatedAt,
    deprecationReason: row.deprecationReason,
    manifest: row.manifest,
    signature: JSON.parse(row.manifestSignature) as { alg: string; keyId: string; value: string },
    ...versionUrls(row),
  };
}

const route = createRoute;
const base = `${API_PREFIX}/models`;
const versionPath = `${base}/{name}/versions/{version}`;

const createVersionRoute = route({
  method: 'post',
  path: `${base}/{name}/versions`,
  tags: ['models'],
  summary: 'Register a model version (artifact uploaded first by sha256); signs its manifest',
  description:
    '`baseline` is either `{ spec, profile }` (computed by the client) or `{ fromReference: { sha256, bins?, classes?, outputName? } }`: ' +
    'the server runs the uploaded reference set (`kind=reference` tar) through the shared preprocessing, the model and the shared ' +
    'feature code and builds the baseline. A `golden` pair is run through the model: 422 unless the model reproduces it.',
  security: [...SECURITY.admin],
  request: { params: nameParam, body: jsonBody(createBodySchema) },
  responses: {
    201: jsonResponse(versionSchema, 'Created; the version is immutable from now on'),
    ...errorResponses(400, 401, 403, 409, 413, 422),
  },
});
const listModelsRoute = route({
  method: 'get',
  path: base,
  tags: ['models'],
  summary: 'List models',
  security: [...SECURITY.admin],
  responses: {
    200: jsonResponse(z.object({ models: z.array(modelSchema) }), 'Models'),
    ...errorResponses(401, 403),
  },
});
const listVersionsRoute = route({
  method: 'get',
  path: `${base}/{name}/versions`,
  tags: ['models'],
  summary: 'List versions of a model, oldest first',
  security: [...SECURITY.admin],
  request: { params: nameParam },
  responses: {
    200: jsonResponse(z.object({ versions: z.array(versionSchema) }), 'Versions'),
    ...errorResponses(400, 401, 403, 404),
  },
});
const getVersionRoute = route({
  method: 'get',
  path: versionPath,
  tags: ['models'],
  summary: 'One version with its signed manifest and URLs',
  security: [...SECURITY.deviceOrAdmin],
  request: { params: versionParams },
  responses: { 200: jsonResponse(versionSchema, 'The version'), ...errorResponses(400, 401, 403, 404) },
});
const specRoute = route({
  method: 'get',
  path: `${versionPath}/spec`,
  tags: ['models'],
  summary: "The version's ProfileSpec (baseline bin edges) clients count into",
  security: [...SECURITY.deviceOrAdmin, ...SECURITY.app],
  request: { params: versionParams },
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()), 'ProfileSpec JSON'),
    ...errorResponses(400, 401, 403, 404, 429),
  },
});
const baselineRoute = route({
  method: 'get',
  path: `${versionPath}/baseline`,
  tags: ['models'],
  summary: 'The baseline Profile JSON; sha256 of its canonical JSON is manifest.baselineSha256',
  security: [...SECURITY.deviceOrAdmin],
  request: { params: versionParams },
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()), 'Profile JSON'),
    ...errorResponses(400, 401, 403, 404),
  },
});
const deprecateRoute = route({
  method: 'post',
  path: `${versionPath}/deprecate`,
  tags: ['models'],
  summary: 'Deprecate a version (idempotent); nothing else about a version ever changes',
  security: [...SECURITY.admin],
  request: { params: versionParams, body: jsonBody(z.object({ reason: z.string().min(1).max(1024) })) },
  responses: { 200: jsonResponse(versionSchema, 'Deprecated'), ...errorResponses(400, 401, 403, 404) },
});

/** Model registry routes. */
export function registerModelRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createVersionRoute, middleware: [admin] }, async (c) => {
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.name !== name) {
      throw new InvalidInput(`body.name '${body.name}' differs from the path's '${name}'`, { field: 'name' });
    }
    const principal = c.get('principal');
    const registeredBy = principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;
    const row = await createModelVersion(ctx, body, registeredBy);
    return c.json(toVersionView(row), 201);
  });
  app.openapi({ ...listModelsRoute, middleware: [admin] }, (c) => c.json({ models: listModels(ctx) }, 200));
  app.openapi({ ...listVersionsRoute, middleware: [admin] }, (c) =>
    c.json({ versions: listVersions(ctx, c.req.valid('param').name).map(toVersionView) }, 200),
  );
  app.openapi({ ...getVersionRoute, middleware: [requireAuth(ctx, 'admin', 'device')] }, (c) => {
    const { name, version } = c.req.valid('param');
    return c.json(toVersionView(getVersion(ctx, name, version)), 200);
  });
  app.openapi({ ...specRoute, middleware: [requireAuth(ctx, 'admin', 'device', 'app')] }, (c) => {
    const { name, version } = c.req.valid('param');
    const principal = c.get('principal');
    if (
      principal.kind === 'app' &&
      !planReferences(ctx.db, principal.appId).versions.has(`${name}@${version}`)
    ) {
      throw new Forbidden(`app ${principal.appId}'s plan does not reference ${name}@${version}`);
    }
    const row = getVersion(ctx, name, version);
    return c.json((row.baseline as { spec: Record<string, unknown> }).spec, 200);
  });
  app.openapi({ ...baselineRoute, middleware: [requireAuth(ctx, 'admin', 'device')] }, (c) => {
    const { name, version } = c.req.valid('param');
    const row = getVersion(ctx, name, version);
    return c.json((row.baseline as { profile: Record<string, unknown> }).profile, 200);
  });
  app.openapi({ ...deprecateRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    return c.json(toVersionView(deprecateVersion(ctx, name, version, c.req.valid('json').reason)), 200);
  });
}
