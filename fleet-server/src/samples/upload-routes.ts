import { apiRoute, SAMPLE_UPLOAD_ERRORS } from '@edgefleet/shared/api';
import { MAX_SAMPLE_BYTES } from '@edgefleet/shared/capture';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { ArtifactStore } from '../artifacts/store';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { FleetError, InvalidInput, PayloadTooLarge } from '../errors';
import type { FleetApp } from '../http/app';
import type { AppEnv } from '../http/env';
import { contractRoute, SECURITY } from '../http/openapi';
import type { UploadsInFlight } from './in-flight';
import { storeUpload } from './upload';

/** Largest upload body: the largest sample plus room for its meta and the multipart framing. */
export const MAX_SAMPLE_UPLOAD_BYTES = MAX_SAMPLE_BYTES + 128 * 1024;

const uploadRoute = contractRoute(apiRoute('POST /api/v1/samples'), {
  tags: ['samples'],
  summary: 'Upload one captured sample (a device as itself, a browser with its app key)',
  description:
    'multipart/form-data with a part `meta` (SampleMeta JSON) and a part `content` (the bytes). Identity is ' +
    '(sha256, clientId): a resend answers 200 `duplicate`. Refusals, each counted in ' +
    '`edgefleet_sample_uploads_total{result}`: 400 malformed meta, 403 `forbidden` (clientId is not the device) or ' +
    '`capture_disabled` (no capture policy of the model reaches the client), 413 body over ' +
    `${MAX_SAMPLE_UPLOAD_BYTES} bytes, 415 content of another type than meta.contentType, 422 size/sha256 mismatch, ` +
    'undecodable image or a capture time outside the retention, 429 `capture_budget_exhausted` (the policy’s ' +
    'daily budget of the client, or the app’s daily cap; Retry-After: the next UTC day), 507 `sample_store_full`. ' +
    `Error codes a client acts on: ${SAMPLE_UPLOAD_ERRORS.join(', ')}.`,
  security: [...SECURITY.device, ...SECURITY.app],
  errors: [400, 401, 403, 413, 415, 422, 429, 503, 507],
  responses: { 200: 'Stored before (a resend)', 201: 'Stored' },
  rawBodySchema: {
    type: 'object',
    required: ['meta', 'content'],
    properties: {
      meta: { type: 'string', description: 'SampleMeta JSON' },
      content: { type: 'string', format: 'binary' },
    },
  },
});

/** Counts every upload by its outcome: `stored`, `duplicate`, or the error code (also auth and size refusals). */
function countOutcomes(counts: Map<string, number>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const error = c.error;
    const result =
      error instanceof FleetError
        ? error.code
        : c.res.status === 201
          ? 'stored'
          : c.res.status === 200
            ? 'duplicate'
            : String(c.res.status);
    counts.set(result, (counts.get(result) ?? 0) + 1);
  });
}

/** `POST /api/v1/samples`: bounded body (413 from Content-Length before reading, or once the stream passes it). */
export function registerUploadRoutes(
  app: FleetApp,
  ctx: ServerContext,
  blobs: ArtifactStore,
  inFlight: UploadsInFlight,
  counts: Map<string, number>,
): void {
  const limit = bodyLimit({
    maxSize: MAX_SAMPLE_UPLOAD_BYTES,
    onError: () => {
      throw new PayloadTooLarge(`sample upload exceeds ${MAX_SAMPLE_UPLOAD_BYTES} bytes`, {
        field: 'body',
        maxBytes: MAX_SAMPLE_UPLOAD_BYTES,
      });
    },
  });
  const middleware = [countOutcomes(counts), requireAuth(ctx, 'device', 'app'), limit];
  app.openapi({ ...uploadRoute, middleware }, async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data'))
      throw new InvalidInput('expected Content-Type: multipart/form-data', { field: 'content-type' });
    let form: Record<string, unknown>;
    try {
      form = (await c.req.parseBody()) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof FleetError) throw error;
      throw new InvalidInput('malformed multipart body', { field: 'body' });
    }
    const result = await storeUpload(ctx, blobs, inFlight, c.get('principal'), {
      meta: form.meta,
      content: form.content,
    });
    return c.json(result, result.status === 'stored' ? 201 : 200);
  });
}
