import {
  type Ack,
  idSchema,
  MAX_TELEMETRY_BATCH_BYTES,
  modelVersionSchema,
  parseMessage,
  type Result,
} from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput, PayloadTooLarge } from '../errors';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonResponse, SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import { coalesceAcks } from './acks';
import type { IngestOutcome, ReportSource, TelemetryIngestor } from './ingest';
import { versionMetrics } from './query';
import { checkEnvelope, envelopeBatchSchema, type ReportEnvelope } from './report-envelope';
import type { SpecResolver } from './specs';

/** What the telemetry routes need beside the server context. */
export interface TelemetryRouteDeps {
  ingestor: TelemetryIngestor;
  specs: SpecResolver;
}

const ackSchema = z.object({
  v: z.literal(1),
  clientId: z.string(),
  epoch: z.number().int(),
  seq: z.number().int().openapi({ description: 'highest stored seq of the epoch' }),
  seqs: z
    .array(z.number().int())
    .optional()
    .openapi({ description: 'exactly the seqs of this request stored now or before: delete these' }),
});
const resultSchema = z.object({
  clientId: z.string(),
  epoch: z.number().int(),
  seq: z.number().int(),
  status: z.enum(['stored', 'duplicate', 'rejected']),
  reason: z.string().optional(),
});
const postResponseSchema = z
  .object({
    /** Per (clientId, epoch): the exact seqs stored (delete those) and the highest stored seq. */
    acks: z.array(ackSchema),
    results: z.array(resultSchema),
  })
  .openapi('TelemetryAcks');

const postTelemetryRoute = createRoute({
  method: 'post',
  path: `${API_PREFIX}/telemetry`,
  tags: ['telemetry'],
  summary:
    'Send window reports (browsers: publishable key, also `?key=` for sendBeacon; devices: device token)',
  description:
    'Body: `{ "reports": TelemetryReport[] }` (1…64 reports, ≤ 1 MiB) as `application/json` or `text/plain` ' +
    '(what `navigator.sendBeacon` sends). The answer comes after the reports are stored: `acks` holds, per client ' +
    'and epoch, the exact `seqs` stored now or before (at most 40 per ack; more acks when needed) and the ' +
    'highest stored `seq`. A report stored before is acknowledged again (`duplicate`).',
  security: [...SECURITY.app, ...SECURITY.device],
  responses: {
    200: jsonResponse(postResponseSchema, 'Stored (or stored before); see results'),
    ...errorResponses(400, 401, 403, 413, 429),
    503: jsonResponse(postResponseSchema, 'Storage failed; nothing acknowledged, retry later'),
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/models/{name}/versions/{version}/metrics`,
  tags: ['telemetry'],
  summary: 'Merged profile, latency p50/p95/p99, error rate and drift of a version over a time range',
  security: [...SECURITY.admin],
  request: {
    params: z.object({ name: idSchema, version: modelVersionSchema }),
    query: z.object({
      from: z.coerce
        .number()
        .int()
        .min(0)
        .optional()
        .openapi({ description: 'ms since epoch; default to - 24h' }),
      to: z.coerce.number().int().min(0).optional().openapi({ description: 'ms since epoch; default now' }),
      selector: z
        .string()
        .max(4096)
        .optional()
        .openapi({ description: 'device label selector, e.g. site=plant-a' }),
      role: z.enum(['active', 'shadow']).default('active'),
    }),
  },
  responses: {
    200: jsonResponse(z.record(z.string(), z.unknown()).openapi('VersionMetrics'), 'Metrics'),
    ...errorResponses(400, 401, 403),
  },
});

/** Parses a batch body: envelopes by the shared schema, then the report schema's cross-field rules per report. */
function parseBatch(body: Uint8Array): Result<{ reports: ReportEnvelope[] }> {
  const parsed = parseMessage(envelopeBatchSchema, body, { maxBytes: MAX_TELEMETRY_BATCH_BYTES });
  if (!parsed.ok) return parsed;
  const reports = parsed.value.reports as ReportEnvelope[];
  for (const [i, report] of reports.entries()) {
    const checked = checkEnvelope(report, `reports[${i}].`);
    if (!checked.ok) return checked;
  }
  return { ok: true, value: { reports } };
}

/** Collapses outcomes into acks per (clientId, epoch) naming the exact seqs stored. */
function acksOf(outcomes: IngestOutcome[]): Ack[] {
  return coalesceAcks(outcomes.flatMap((o) => (o.status === 'rejected' ? [] : [o.ack])));
}

/** `POST /telemetry` (ingestion over HTTP) and `GET /models/{name}/versions/{version}/metrics`. */
export function registerTelemetryRoutes(app: FleetApp, ctx: ServerContext, deps: TelemetryRouteDeps): void {
  app.openapi({ ...postTelemetryRoute, middleware: [requireAuth(ctx, 'app', 'device')] }, async (c) => {
    // Read in full (the app-wide body limit bounds it) so the connection stays usable after a 413.
    const body = new Uint8Array(await c.req.arrayBuffer());
    const parsed = parseBatch(body);
    if (!parsed.ok) {
      deps.ingestor.countRejected(parsed.error.kind);
      if (parsed.error.kind === 'too_large')
        throw new PayloadTooLarge(parsed.error.message, { field: 'body' });
      throw new InvalidInput(`body: ${parsed.error.message}`, {
        location: 'body',
        field: parsed.error.path ?? 'body',
        message: parsed.error.message,
      });
    }
    const principal = c.get('principal');
    const source: ReportSource =
      principal.kind === 'device'
        ? { scope: 'dev', sourceId: principal.deviceId }
        : { scope: 'app', sourceId: principal.kind === 'app' ? principal.appId : '' };
    const outcomes = await Promise.all(
      parsed.value.reports.map((report): Promise<IngestOutcome> => {
        if (source.scope === 'dev' && report.clientId !== source.sourceId) {
          deps.ingestor.countRejected('client_mismatch');
          return Promise.resolve({
            status: 'rejected',
            reason: 'client_mismatch',
            message: 'clientId is not your device id',
          });
        }
        return deps.ingestor.submit(source, report);
      }),
    );
    const results = parsed.value.reports.map((r, i) => {
      const o = outcomes[i]!;
      return {
        clientId: r.clientId,
        epoch: r.epoch,
        seq: r.seq,
        status: o.status,
        ...(o.status === 'rejected' ? { reason: o.reason } : {}),
      };
    });
    const storageFailed = outcomes.some((o) => o.status === 'rejected' && o.reason === 'storage_failed');
    return c.json({ acks: acksOf(outcomes), results }, storageFailed ? 503 : 200);
  });

  app.openapi({ ...metricsRoute, middleware: [requireAuth(ctx, 'admin')] }, (c) => {
    const { name, version } = c.req.valid('param');
    const query = c.req.valid('query');
    const toMs = query.to ?? ctx.now();
    const fromMs = query.from ?? toMs - 24 * 3_600_000;
    if (fromMs >= toMs) throw new InvalidInput('from must be before to', { field: 'from' });
    let selector: ReturnType<typeof parseSelector> | undefined;
    if (query.selector !== undefined) {
      selector = parseSelector(query.selector);
      if (!selector.ok) throw new InvalidInput(`selector: ${selector.error.message}`, { field: 'selector' });
    }
    const metrics = versionMetrics(ctx.db, deps.specs, {
      modelName: name,
      version,
      fromMs,
      toMs,
      role: query.role,
      ...(selector?.ok ? { selector: selector.value } : {}),
    });
    return c.json(metrics as unknown as Record<string, unknown>, 200);
  });
}
