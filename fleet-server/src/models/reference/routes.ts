import { preprocessingSpecSchema } from '@edgefleet/shared';
import { apiRoute, referenceOptionsSchema } from '@edgefleet/shared/api';
import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { findArtifact } from '../../artifacts/store';
import { requireAuth } from '../../auth/middleware';
import type { ServerContext } from '../../context';
import { InvalidInput, PayloadTooLarge } from '../../errors';
import type { FleetApp } from '../../http/app';
import { contractRoute, SECURITY } from '../../http/openapi';
import type { ModelJobs } from '../jobs/runner';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex chars (sha256)');

const computeRoute = contractRoute(apiRoute('POST /api/v1/baselines'), {
  tags: ['models'],
  summary: 'Compute a baseline from a reference set (nothing is stored)',
  description:
    'multipart/form-data: `model` (sha256 of a model artifact, plain text), `preprocessing` (PreprocessingSpec JSON), optional `options` ' +
    '(`{ bins, classes, outputName }` JSON), optional `reference` (sha256 of a kind=reference tar artifact), and any number of file ' +
    'parts (.png, .jpg, .jpeg, .npy, .json tensors, or .tar archives of them). The answer is `{ spec, profile, specHash, ' +
    "baselineSha256, samples, files, skipped }`; `{ spec, profile }` can be posted as a version's `baseline` as is.",
  security: SECURITY.admin,
  responses: { 200: 'The computed baseline' },
  rawBodySchema: {
    type: 'object',
    required: ['model', 'preprocessing'],
    properties: {
      model: { type: 'string', description: 'sha256 of a model artifact' },
      preprocessing: { type: 'string', description: 'PreprocessingSpec JSON' },
      options: { type: 'string', description: '{ bins, classes, outputName } JSON' },
      reference: { type: 'string', description: 'sha256 of a kind=reference tar artifact' },
    },
    additionalProperties: { type: 'string', format: 'binary', description: 'reference files' },
  },
  errors: [400, 401, 403, 404, 413, 422, 503],
});

const FIELDS = ['model', 'preprocessing', 'options', 'reference'];

/** A JSON form field, sent as text (`-F 'preprocessing=<pre.json'`) or as a small file part. */
async function jsonField<T extends z.core.$ZodType>(
  form: Record<string, unknown>,
  name: string,
  fieldSchema: T,
  required: boolean,
): Promise<z.core.output<T> | undefined> {
  const value = form[name];
  if (value === undefined && !required) return undefined;
  const raw = value instanceof File && value.size <= 64 * 1024 ? await value.text() : value;
  if (typeof raw !== 'string') throw new InvalidInput(`${name}: expected a JSON form field`, { field: name });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new InvalidInput(`${name}: not JSON`, { field: name });
  }
  const parsed = z.safeParse(fieldSchema, json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = [name, ...issue.path.map(String)].join('.');
    throw new InvalidInput(`${field}: ${issue.message}`, { field });
  }
  return parsed.data as z.core.output<T>;
}

/** A sha256 form field as plain text (`-F model=<sha256>`). */
function textField(form: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const raw = form[name];
  if (raw === undefined && !required) return undefined;
  const parsed = sha256.safeParse(raw);
  if (!parsed.success) throw new InvalidInput(`${name}: ${parsed.error.issues[0]?.message}`, { field: name });
  return parsed.data;
}

/** `POST /api/v1/baselines`: the server-side baseline computation, as a preview or for clients without models. */
export function registerReferenceRoutes(app: FleetApp, ctx: ServerContext, jobs: ModelJobs): void {
  const limit = bodyLimit({
    maxSize: ctx.config.maxReferenceBytes,
    onError: () => {
      throw new PayloadTooLarge(
        `reference set exceeds ${ctx.config.maxReferenceBytes} bytes; upload it as a kind=reference tar artifact`,
        {
          field: 'body',
          maxBytes: ctx.config.maxReferenceBytes,
        },
      );
    },
  });
  const artifactOf = (digest: string, kind: string, field: string) => {
    const row = findArtifact(ctx.db, digest);
    if (!row || row.format !== kind)
      throw new InvalidInput(`${field}: no ${kind} artifact ${digest}`, { field });
    return row;
  };
  app.openapi({ ...computeRoute, middleware: [requireAuth(ctx, 'admin'), limit] }, async (c) => {
    if (!(c.req.header('content-type') ?? '').startsWith('multipart/form-data')) {
      throw new InvalidInput('expected Content-Type: multipart/form-data', { field: 'content-type' });
    }
    let form: Record<string, unknown>;
    try {
      form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
    } catch {
      throw new InvalidInput('malformed multipart body', { field: 'body' });
    }
    const modelSha = textField(form, 'model', true) ?? '';
    const preprocessing = (await jsonField(form, 'preprocessing', preprocessingSpecSchema, true))!;
    const options = (await jsonField(form, 'options', referenceOptionsSchema, false)) ?? {};
    const referenceSha = textField(form, 'reference', false);
    const modelRow = artifactOf(modelSha, 'model', 'model');
    const files = Object.entries(form)
      .filter(([key]) => !FIELDS.includes(key))
      .flatMap(([, value]) => value)
      .filter((value): value is File => value instanceof File);
    const parts = await Promise.all(
      files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })),
    );
    const tarPath =
      referenceSha === undefined
        ? undefined
        : ctx.store.pathOf(artifactOf(referenceSha, 'reference', 'reference').sha256);
    const { baseline } = await jobs.run({
      modelPath: ctx.store.pathOf(modelRow.sha256),
      signature: modelRow.signature ?? { inputs: [], outputs: [] },
      preprocessing,
      reference: { source: { kind: 'parts', ...(tarPath ? { tarPath } : {}), parts }, options },
    });
    if (!baseline) throw new Error('model job computed no baseline');
    return c.json(
      {
        spec: baseline.spec,
        profile: baseline.profile,
        specHash: baseline.specHash,
        baselineSha256: baseline.baselineSha256,
        samples: baseline.samples,
        files: baseline.files,
        skipped: baseline.skipped,
      },
      200,
    );
  });
}
