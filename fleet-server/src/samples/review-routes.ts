import { apiRoute } from '@edgefleet/shared/api';
import type { ArtifactStore } from '../artifacts/store';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput, NotFound } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import { actorOf } from '../model-settings/apply';
import { capturesOf, labelHistoryOf, listSamples, sampleOf, setLabel } from './store';
import { contentHeaders, THUMBNAIL_MAX_PX, type Thumbnails } from './thumbnails';

const tags = ['samples'];
const ADMIN_ONLY =
  'Admins only: a device token or an app key answers 403, for its own samples as for any other (a sample is ' +
  'data of the fleet, reviewed centrally).';

const listRoute = contractRoute(apiRoute('GET /api/v1/samples'), {
  tags,
  summary:
    'List captured samples, newest first, filtered (model, version, reason, class, label, slice, time)',
  description:
    'One entry per capture (a sample captured by two clients appears twice, with one label). Every filter narrows; ' +
    '`slice` is a label selector over the capturing device’s labels at capture time (browser captures never match ' +
    'one). Pages: pass `nextCursor` as `cursor` until it is null. ' +
    ADMIN_ONLY,
  security: SECURITY.admin,
  errors: [400, 401, 403],
});

const oneRoute = contractRoute(apiRoute('GET /api/v1/samples/{sha256}'), {
  tags,
  summary: 'Every capture of a sample, and its label audit',
  description: ADMIN_ONLY,
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

const contentRoute = contractRoute(apiRoute('GET /api/v1/samples/{sha256}/content'), {
  tags,
  summary: 'The bytes of a sample, or (`thumb=1`) a small JPEG thumbnail of an image sample',
  description:
    `The stored bytes with their content type (image/png, image/jpeg, image/webp, or application/octet-stream for a ` +
    `tensor), \`X-Content-Type-Options: nosniff\`, a sandboxing Content-Security-Policy and a Content-Disposition ` +
    `naming \`<sha256>.<ext>\` (inline for images, attachment otherwise). \`thumb=1\`: a JPEG at most ` +
    `${THUMBNAIL_MAX_PX} px on its longer side (415 for a sample that is no image, 422 for one that does not decode). ` +
    ADMIN_ONLY,
  security: SECURITY.admin,
  errors: [400, 401, 403, 404, 415, 422],
});

const labelRoute = contractRoute(apiRoute('PUT /api/v1/samples/{sha256}/label'), {
  tags,
  summary: 'Label a sample with its true class, or clear the label (`null`)',
  description:
    'The label belongs to the bytes (every capture of them shows it). Recorded with who set it and when, and ' +
    'appended to the sample’s label audit (`GET …/samples/{sha256}`). A labelled sample is kept past the ' +
    'retention; clearing the label lets it expire again. ' +
    ADMIN_ONLY,
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

/** A list cursor: the capture id to continue below. */
function beforeIdOf(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = /^[1-9]\d{0,15}$/.test(cursor) ? Number(cursor) : Number.NaN;
  if (!Number.isSafeInteger(id))
    throw new InvalidInput(
      `cursor: expected the nextCursor of a previous page, got '${cursor.slice(0, 40)}'`,
      {
        field: 'cursor',
      },
    );
  return id;
}

/** Review routes: list, show, content and label of samples (admin). */
export function registerReviewRoutes(
  app: FleetApp,
  ctx: ServerContext,
  blobs: ArtifactStore,
  thumbnails: Thumbnails,
): void {
  const admin = requireAuth(ctx, 'admin');

  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const { cursor, limit, slice, ...filter } = c.req.valid('query');
    let selector = null;
    if (slice !== undefined) {
      const parsed = parseSelector(slice);
      if (!parsed.ok) throw new InvalidInput(`slice: ${parsed.error.message}`, { field: 'slice' });
      selector = parsed.value;
    }
    if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to)
      throw new InvalidInput(`from (${filter.from}) is after to (${filter.to})`, { field: 'from' });
    const beforeId = beforeIdOf(cursor);
    const page = listSamples(ctx.db, filter, selector, { limit, ...(beforeId ? { beforeId } : {}) });
    return c.json(page, 200);
  });

  app.openapi({ ...oneRoute, middleware: [admin] }, (c) => {
    const { sha256 } = c.req.valid('param');
    const captures = capturesOf(ctx.db, sha256);
    if (captures.length === 0) throw new NotFound(`no sample ${sha256}`, { field: 'sha256' });
    return c.json({ captures, labelHistory: labelHistoryOf(ctx.db, sha256) }, 200);
  });

  app.openapi({ ...contentRoute, middleware: [admin] }, async (c) => {
    const { sha256 } = c.req.valid('param');
    const sample = sampleOf(ctx.db, sha256);
    const sizeBytes = sample ? await blobs.sizeOf(sha256) : null;
    if (!sample || sizeBytes === null) throw new NotFound(`no sample ${sha256}`, { field: 'sha256' });
    if (c.req.valid('query').thumb === '1') {
      const jpeg = await thumbnails.of(sample);
      return c.body(
        new Uint8Array(jpeg),
        200,
        contentHeaders(sha256, 'image/jpeg', jpeg.byteLength, 'thumb'),
      );
    }
    const headers = contentHeaders(sha256, sample.contentType, sizeBytes);
    // HEAD (hono runs the GET handler and drops the body): never open a file stream nobody reads.
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(blobs.read(sha256), 200, headers);
  });

  app.openapi({ ...labelRoute, middleware: [admin] }, (c) => {
    const { sha256 } = c.req.valid('param');
    const { label } = c.req.valid('json');
    const actor = actorOf(c);
    const atMs = ctx.now();
    if (!setLabel(ctx.db, sha256, label, actor, atMs))
      throw new NotFound(`no sample ${sha256}`, { field: 'sha256' });
    ctx.logger.info({ sha256, label, actor }, 'sample labelled');
    const by =
      label === null ? { labelledBy: null, labelledAt: null } : { labelledBy: actor, labelledAt: atMs };
    return c.json({ sha256, label, ...by }, 200);
  });
}
