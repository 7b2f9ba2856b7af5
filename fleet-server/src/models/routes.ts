import { apiRoute } from '@edgefleet/shared/api';
import { planReferences } from '../apps/plan-access';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { Forbidden, InvalidInput } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import type { ModelJobs } from './jobs/runner';
import {
  baselineOfVersion,
  createModelVersion,
  deprecateVersion,
  getVersion,
  listModels,
  listVersions,
  signatureOf,
  type VersionRow,
  versionUrls,
} from './registry';

function toVersionView(row: VersionRow) {
  const { manifest } = row;
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
    manifest,
    signature: signatureOf(row),
    ...versionUrls(row),
  };
}

const tags = ['models'];

const createVersionRoute = contractRoute(apiRoute('POST /api/v1/models/{name}/versions'), {
  tags,
  summary: 'Register a model version (artifact uploaded first by sha256); signs its manifest',
  description:
    '`baseline` is either `{ spec, profile }` (computed by the client) or `{ fromReference: { sha256, bins?, classes?, outputName? } }`: ' +
    'the server runs the uploaded reference set (`kind=reference` tar) through the shared preprocessing, the model and the shared ' +
    'feature code and builds the baseline. A `golden` pair is run through the model: 422 unless the model reproduces it. ' +
    'Both run in a job process within `--baseline-timeout-ms` and `--baseline-memory-mb` (422 `baseline_timeout` / ' +
    '`baseline_out_of_memory`); 503 `baseline_busy` (Retry-After) while `--baseline-concurrency` jobs run. ' +
    'A retried create whose first attempt went through answers 409: compare the registered sha256 and baselineSha256 ' +
    '(what `edgefleet model push` does).',
  security: SECURITY.admin,
  responses: { 201: 'Created; the version is immutable from now on' },
  errors: [400, 401, 403, 409, 413, 422, 503],
});
const listModelsRoute = contractRoute(apiRoute('GET /api/v1/models'), {
  tags,
  summary: 'List models',
  security: SECURITY.admin,
  errors: [401, 403],
});
const listVersionsRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions'), {
  tags,
  summary: 'List versions of a model, oldest first',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});
const getVersionRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}'), {
  tags,
  summary: 'One version with its signed manifest and URLs',
  security: SECURITY.deviceOrAdmin,
  errors: [400, 401, 403, 404],
});
const specRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}/spec'), {
  tags,
  summary: "The version's ProfileSpec (baseline bin edges) clients count into",
  security: [...SECURITY.deviceOrAdmin, ...SECURITY.app],
  errors: [400, 401, 403, 404, 429],
});
const baselineRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}/baseline'), {
  tags,
  summary: 'The baseline Profile JSON; sha256 of its canonical JSON is manifest.baselineSha256',
  security: SECURITY.deviceOrAdmin,
  errors: [400, 401, 403, 404],
});
const deprecateRoute = contractRoute(apiRoute('POST /api/v1/models/{name}/versions/{version}/deprecate'), {
  tags,
  summary: 'Deprecate a version (idempotent); nothing else about a version ever changes',
  security: SECURITY.admin,
  responses: { 200: 'Deprecated' },
  errors: [400, 401, 403, 404],
});

/** Model registry routes. */
export function registerModelRoutes(app: FleetApp, ctx: ServerContext, jobs: ModelJobs): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createVersionRoute, middleware: [admin] }, async (c) => {
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.name !== name) {
      throw new InvalidInput(`body.name '${body.name}' differs from the path's '${name}'`, { field: 'name' });
    }
    const principal = c.get('principal');
    const registeredBy = principal.kind === 'admin' ? `admin:${principal.tokenId}` : principal.kind;
    const row = await createModelVersion(ctx, jobs, body, registeredBy);
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
    return c.json(baselineOfVersion(getVersion(ctx, name, version)).spec, 200);
  });
  app.openapi({ ...baselineRoute, middleware: [requireAuth(ctx, 'admin', 'device')] }, (c) => {
    const { name, version } = c.req.valid('param');
    return c.json(baselineOfVersion(getVersion(ctx, name, version)).profile, 200);
  });
  app.openapi({ ...deprecateRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    return c.json(toVersionView(deprecateVersion(ctx, name, version, c.req.valid('json').reason)), 200);
  });
}
