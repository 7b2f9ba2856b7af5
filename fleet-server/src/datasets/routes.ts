import { randomBytes } from 'node:crypto';
import { apiRoute, type Dataset, MAX_DATASET_SAMPLES, type SampleFilter } from '@edgefleet/shared/api';
import type { ArtifactStore } from '../artifacts/store';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { FleetError, InvalidInput, NotFound } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute } from '../http/openapi';
import { parseSelector, type Selector } from '../labels/selector';
import { actorOf } from '../model-settings/apply';
import { prepareExport } from './export';
import {
  createDataset,
  type DatasetRow,
  findDataset,
  listDatasets,
  samplesOfDataset,
  versionsTrainedOn,
} from './store';

const createRoute = contractRoute(apiRoute('POST /api/v1/datasets'), {
  tags: ['datasets'],
  summary: 'Create a dataset: an immutable snapshot of the samples a filter matches now',
  description:
    'Takes the samples whose captures match `filter` (labelled ones only unless `labelledOnly: false`), newest ' +
    `first, each once, with its label now; at most \`maxSamples\` (≤ ${MAX_DATASET_SAMPLES}), the rest counted in ` +
    '`truncated`. Provenance (devices, apps, versions, capture reasons, labels, who labelled, capture time range) ' +
    'is computed from the captures taken. Its samples are kept by retention from then on. 400: a filter that does ' +
    'not parse (slice selector, from ≥ to, `labelled: false` with `labelledOnly`); 409: a taken sample was deleted ' +
    'while the snapshot was taken (retry).',
  security: [{ adminToken: [] }],
  errors: [400, 401, 403, 409],
  responses: { 201: 'Created' },
});

const listRoute = contractRoute(apiRoute('GET /api/v1/datasets'), {
  tags: ['datasets'],
  summary: 'Every dataset, newest first, with the model versions trained on it',
  security: [{ adminToken: [] }],
  errors: [401, 403],
});

const getRoute = contractRoute(apiRoute('GET /api/v1/datasets/{id}'), {
  tags: ['datasets'],
  summary: 'One dataset with its samples (sha256, content type, size, label at snapshot time)',
  security: [{ adminToken: [] }],
  errors: [400, 401, 403, 404],
});

const exportRoute = contractRoute(apiRoute('GET /api/v1/datasets/{id}/export'), {
  tags: ['datasets'],
  summary: 'Export a dataset as a tar: manifest.json, labels.jsonl and samples/<sha256>.<ext>',
  description:
    'Streamed with its exact Content-Length. Checked before a byte is sent: over `--max-export-bytes` → 413 ' +
    '`export_too_large`; a sample missing or of another size in the sample store → 409 `dataset_incomplete` ' +
    '(details list the hashes). A blob that changes or vanishes while streaming aborts the response (the client ' +
    'sees a short body against Content-Length, never a shorter valid tar). Every outcome is counted in ' +
    '`edgefleet_dataset_exports_total{result}`.',
  security: [{ adminToken: [] }],
  errors: [400, 401, 403, 404, 409, 413],
  responses: { 200: 'The tar' },
});

/** A new dataset id: `ds-` and 12 hex digits. */
const newDatasetId = (): string => `ds-${randomBytes(6).toString('hex')}`;

/** The slice selector of a filter; 400 when it, or the time range, does not parse. */
function checkFilter(filter: SampleFilter, labelledOnly: boolean): Selector | null {
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to)
    throw new InvalidInput('body.filter.from: must be before filter.to', { field: 'filter.from' });
  if (labelledOnly && filter.labelled === false)
    throw new InvalidInput(
      'body.filter.labelled: false contradicts labelledOnly: true (set labelledOnly: false)',
      {
        field: 'filter.labelled',
      },
    );
  if (filter.slice === undefined) return null;
  const slice = parseSelector(filter.slice);
  if (!slice.ok)
    throw new InvalidInput(`body.filter.slice: ${slice.error.message}`, { field: 'filter.slice' });
  return slice.value;
}

/** Dataset routes (admin only). `exports` counts export outcomes. */
export function registerDatasetRoutes(
  app: FleetApp,
  ctx: ServerContext,
  blobs: ArtifactStore,
  exports: Map<string, number>,
): void {
  const admin = requireAuth(ctx, 'admin');
  const count = (result: string) => exports.set(result, (exports.get(result) ?? 0) + 1);
  const toDataset = (row: DatasetRow, trained = versionsTrainedOn(ctx.db, [row.id])): Dataset => ({
    ...row,
    trainedVersions: trained.get(row.id) ?? [],
  });

  app.openapi({ ...createRoute, middleware: [admin] }, async (c) => {
    const body = c.req.valid('json');
    const slice = checkFilter(body.filter, body.labelledOnly);
    const input = { id: newDatasetId(), ...body, createdBy: actorOf(c), createdAt: ctx.now() };
    const { row } = await createDataset(ctx.db, input, slice);
    ctx.logger.info(
      { dataset: row.id, by: row.createdBy, samples: row.sampleCount, truncated: row.truncated },
      'dataset created',
    );
    return c.json({ ...row, trainedVersions: [] }, 201);
  });

  app.openapi({ ...listRoute, middleware: [admin] }, (c) => {
    const rows = listDatasets(ctx.db);
    const trained = versionsTrainedOn(
      ctx.db,
      rows.map((r) => r.id),
    );
    return c.json({ datasets: rows.map((row) => toDataset(row, trained)) }, 200);
  });

  app.openapi({ ...getRoute, middleware: [admin] }, (c) => {
    const { id } = c.req.valid('param');
    const row = findDataset(ctx.db, id);
    if (!row) throw new NotFound(`no dataset ${id}`);
    return c.json({ ...toDataset(row), samples: samplesOfDataset(ctx.db, id) }, 200);
  });

  app.openapi({ ...exportRoute, middleware: [admin] }, async (c) => {
    const { id } = c.req.valid('param');
    try {
      const row = findDataset(ctx.db, id);
      if (!row) throw new NotFound(`no dataset ${id}`);
      const prepared = await prepareExport(toDataset(row), samplesOfDataset(ctx.db, id), blobs, {
        maxBytes: ctx.config.maxExportBytes,
        nowMs: ctx.now(),
      });
      const stream = prepared.stream({
        onError: (error) => {
          count('failed');
          ctx.logger.error({ err: error, dataset: id }, 'dataset export failed while streaming');
        },
        onEnd: () => {
          count('exported');
          ctx.logger.info({ dataset: id, sizeBytes: prepared.sizeBytes }, 'dataset exported');
        },
      });
      return c.body(stream, 200, {
        'content-type': 'application/x-tar',
        'content-length': String(prepared.sizeBytes),
        'content-disposition': `attachment; filename="${id}.tar"`,
        'cache-control': 'no-store',
      });
    } catch (error) {
      count(error instanceof FleetError ? error.code : 'error');
      throw error;
    }
  });
}
