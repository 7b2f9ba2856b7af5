import { readFile } from 'node:fs/promises';
import { MAX_GOLDEN_BYTES } from '@edgefleet/shared';
import { API_PREFIX, type ArtifactKind, apiRoute } from '@edgefleet/shared/api';
import { planReferences } from '../apps/plan-access';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { deviceArtifactDigests } from '../devices/artifact-access';
import { Forbidden, InvalidInput, NotFound, PayloadTooLarge, RangeNotSatisfiable } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { readGoldenPair } from '../models/golden';
import { checkReferenceArchive } from '../models/reference/sources';
import { readModelSignature } from './onnx';
import { parseRange } from './range';
import { type ArtifactRow, findArtifact, insertArtifact } from './store';

const tags = ['artifacts'];

const uploadRoute = contractRoute(apiRoute('POST /api/v1/artifacts'), {
  tags,
  summary: 'Upload an artifact (raw body, streamed)',
  description:
    'Send the file as the raw request body (`curl --data-binary @model.onnx -H "content-type: application/octet-stream"`). ' +
    'The body is hashed while it streams to a temp file, checked (kind=model: loadable by onnxruntime; the IO ' +
    'signature is read) and moved to `artifacts/sha256/ab/<sha256>`. Identical bytes are stored once (200 instead of 201). ' +
    'kind=golden stores a golden input/output pair file (format checked; run through the model when a version names it); ' +
    'kind=reference stores a tar of reference inputs for `baseline.fromReference` (structure checked: no links, unsafe paths or oversized entries).',
  security: SECURITY.admin,
  responses: { 200: 'Identical bytes were stored already', 201: 'Stored' },
  errors: [400, 401, 403, 413, 422],
});

const downloadRoute = contractRoute(apiRoute('GET /api/v1/artifacts/{sha256}'), {
  tags,
  summary: 'Download an artifact (Range, ETag, immutable caching)',
  description:
    'Admins may fetch any artifact; a device only the model and golden files of the versions its desired state ' +
    'names; an app publishable key only those its current plan references. Reference sets: admins only.',
  security: [...SECURITY.deviceOrAdmin, ...SECURITY.app],
  responses: { 200: 'The whole artifact', 206: 'The requested range', 304: 'Not modified (If-None-Match)' },
  errors: [400, 401, 403, 404, 416, 429],
});

const metadataRoute = contractRoute(apiRoute('GET /api/v1/artifacts/{sha256}/meta'), {
  tags,
  summary: 'Artifact metadata (size, kind, IO signature)',
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

const toArtifact = (row: ArtifactRow) => ({
  sha256: row.sha256,
  sizeBytes: row.sizeBytes,
  kind: row.format,
  signature: row.signature,
  createdAt: row.createdAt,
  url: `${API_PREFIX}/artifacts/${row.sha256}`,
});

/** Golden pairs must parse; reference sets must be well-formed tar archives (checked again at use). */
async function checkArtifactContent(kind: ArtifactKind, path: string, sizeBytes: number): Promise<void> {
  if (kind === 'golden') {
    if (sizeBytes > MAX_GOLDEN_BYTES) {
      throw new PayloadTooLarge(`golden pair exceeds ${MAX_GOLDEN_BYTES} bytes`, {
        maxBytes: MAX_GOLDEN_BYTES,
      });
    }
    readGoldenPair(await readFile(path), 'body');
  }
  if (kind === 'reference') await checkReferenceArchive(path);
}

/** Artifact upload (admin) and download (device or admin). */
export function registerArtifactRoutes(app: FleetApp, ctx: ServerContext): void {
  app.openapi({ ...uploadRoute, middleware: [requireAuth(ctx, 'admin')] }, async (c) => {
    const { kind } = c.req.valid('query');
    const maxBytes = ctx.config.maxModelBytes;
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (declared > maxBytes) throw new PayloadTooLarge(`artifact exceeds ${maxBytes} bytes`, { maxBytes });
    const body = c.req.raw.body;
    if (!body) throw new InvalidInput('expected the artifact as the request body', { field: 'body' });
    const upload = await ctx.store.receive(body, maxBytes);
    try {
      if (upload.sizeBytes === 0) throw new InvalidInput('empty body', { field: 'body' });
      const existing = findArtifact(ctx.db, upload.sha256);
      if (existing) {
        await upload.discard();
        await ctx.store.touch(existing.sha256, ctx.now());
        return c.json(toArtifact(existing), 200);
      }
      const signature = kind === 'model' ? await readModelSignature(upload.tempPath) : null;
      await checkArtifactContent(kind, upload.tempPath, upload.sizeBytes);
      await upload.commit();
      const row = {
        sha256: upload.sha256,
        sizeBytes: upload.sizeBytes,
        format: kind,
        signature,
        createdAt: ctx.now(),
      };
      insertArtifact(ctx.db, row);
      ctx.logger.info({ sha256: row.sha256, sizeBytes: row.sizeBytes, kind }, 'artifact stored');
      return c.json(toArtifact(findArtifact(ctx.db, upload.sha256) ?? row), 201);
    } finally {
      await upload.discard();
    }
  });

  app.openapi({ ...metadataRoute, middleware: [requireAuth(ctx, 'admin')] }, (c) => {
    const row = findArtifact(ctx.db, c.req.valid('param').sha256);
    if (!row) throw new NotFound('no artifact with this sha256');
    return c.json(toArtifact(row), 200);
  });

  const downloadAuth = requireAuth(ctx, 'device', 'admin', 'app');
  app.openapi({ ...downloadRoute, middleware: [downloadAuth] }, async (c) => {
    const { sha256 } = c.req.valid('param');
    const principal = c.get('principal');
    if (principal.kind === 'app' && !planReferences(ctx.db, principal.appId).digests.has(sha256)) {
      throw new Forbidden(`app ${principal.appId}'s plan does not reference artifact ${sha256}`);
    }
    if (principal.kind === 'device' && !deviceArtifactDigests(ctx.db, principal.deviceId).has(sha256)) {
      throw new Forbidden(`device ${principal.deviceId}'s desired state does not name artifact ${sha256}`);
    }
    const row = findArtifact(ctx.db, sha256);
    const sizeBytes = row ? await ctx.store.sizeOf(sha256) : null;
    if (!row || sizeBytes === null) throw new NotFound('no artifact with this sha256');
    const etag = `"${sha256}"`;
    const headers: Record<string, string> = {
      etag,
      'cache-control': 'public, max-age=31536000, immutable',
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    if (
      c.req
        .header('if-none-match')
        ?.split(/\s*,\s*/)
        .includes(etag)
    )
      return c.body(null, 304, headers);
    const ifRange = c.req.header('if-range');
    const range = ifRange && ifRange !== etag ? null : parseRange(c.req.header('range'), sizeBytes);
    if (range === 'unsatisfiable') {
      c.header('content-range', `bytes */${sizeBytes}`);
      throw new RangeNotSatisfiable(`range outside 0-${sizeBytes - 1}`, { field: 'range', sizeBytes });
    }
    // HEAD (hono runs the GET handler and drops the body): never open a file stream nobody reads.
    const isHead = c.req.method === 'HEAD';
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${sizeBytes}`;
      headers['content-length'] = String(range.end - range.start + 1);
      return isHead ? c.body(null, 206, headers) : c.body(ctx.store.read(sha256, range), 206, headers);
    }
    headers['content-length'] = String(sizeBytes);
    return isHead ? c.body(null, 200, headers) : c.body(ctx.store.read(sha256), 200, headers);
  });
}
