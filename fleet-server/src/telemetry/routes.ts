import { type Ack, MAX_TELEMETRY_BATCH_BYTES, parseMessage, type Result } from '@edgefleet/shared';
import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput, PayloadTooLarge } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import type { SpecResolver } from '../models';
import { coalesceAcks } from './acks';
import type { IngestOutcome, ReportSource, TelemetryIngestor } from './ingest';
import { checkEnvelope, envelopeBatchSchema, type ReportEnvelope } from './report-envelope';

/** What the telemetry routes need beside the server context. */
export interface TelemetryRouteDeps {
  ingestor: TelemetryIngestor;
  specs: SpecResolver;
}

const postTelemetryRoute = contractRoute(apiRoute('POST /api/v1/telemetry'), {
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
    200: 'Stored (or stored before); see results',
    503: 'Storage failed; nothing acknowledged, retry later',
  },
  errors: [400, 401, 403, 413, 429],
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

/** `POST /telemetry`: ingestion over HTTP (reads are monitoring's). */
export function registerTelemetryRoutes(app: FleetApp, ctx: ServerContext, deps: TelemetryRouteDeps): void {
  // The handler parses the body itself, once (the profile is left to Profile.fromJSON under the version's spec):
  // the route is documented with its body but mounted without hono's validator.
  app.openAPIRegistry.registerPath(postTelemetryRoute);
  const { request: _documented, ...postTelemetry } = postTelemetryRoute;
  app.openapi(
    { ...postTelemetry, hide: true, middleware: [requireAuth(ctx, 'app', 'device')] },
    async (c) => {
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
    },
  );
}
