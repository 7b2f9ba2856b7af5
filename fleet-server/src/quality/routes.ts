import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput, NotFound } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { versionExists } from '../models/registry';
import { seriesOf, slicesOf } from './breakdown';
import { ESTIMATE_ASSUMES } from './estimate';
import { qualityOf, sumFeedback } from './quality';
import { feedbackRowsOf, MAX_QUALITY_REPORTS } from './store';

const HOUR_MS = 3_600_000;

const qualityRoute = contractRoute(apiRoute('GET /api/v1/models/{name}/versions/{version}/quality'), {
  tags: ['quality'],
  summary:
    'Measured quality of a version from operator labels: accuracy, agreement, review share, per-class precision/recall',
  description:
    'Sums the feedback aggregates (confusion matrix per version, labels and routes per decision route) of the ' +
    "version's active window reports whose window ends in `[from, to)` (default: the last 24 h). Accuracy is " +
    'over every label; agreement is the model answer equal to the human label on predictions routed to review; ' +
    'autoAccuracy is over labels of predictions the model decided alone; reviewShare is the share of inferences ' +
    'routed to review. Every proportion has a 95 % Clopper-Pearson interval. ' +
    '`series`: the same figures in `buckets` equal time buckets. `by=<label key>`: `slices`, the figures per value ' +
    'of that device label (devices as labelled now; devices without it are the null slice) and per web app. ' +
    '`estimated`: label-free estimated accuracy (mean top-1 confidence) and, with labels, the labelled ' +
    'accuracy per confidence bin weighted by the bin’s share of all inferences; `reliability`: the 10 bins; ' +
    '`calibrationCheck`: expected calibration error against its sampling noise (flagged only when p < 0.01). ' +
    `Assumptions: ${ESTIMATE_ASSUMES} ` +
    `At most ${MAX_QUALITY_REPORTS} reports per read (a wider range answers 400).`,
  security: SECURITY.admin,
  errors: [400, 401, 403, 404],
});

/** Quality reads. */
export function registerQualityRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...qualityRoute, middleware: [admin] }, (c) => {
    const { name, version } = c.req.valid('param');
    const query = c.req.valid('query');
    const toMs = query.to ?? ctx.now();
    const fromMs = query.from ?? toMs - 24 * HOUR_MS;
    if (fromMs >= toMs) throw new InvalidInput('query.from: must be before to', { field: 'from' });
    if (!versionExists(ctx.db, name, version)) {
      throw new NotFound(`no model version ${name}@${version}`, { field: 'version' });
    }
    const rows = feedbackRowsOf(ctx.db, { modelName: name, version, fromMs, toMs });
    if (rows.length > MAX_QUALITY_REPORTS) {
      throw new InvalidInput(`query: more than ${MAX_QUALITY_REPORTS} reports in the range; narrow from/to`, {
        field: 'from',
      });
    }
    const { sum } = sumFeedback(rows.map((r) => r.feedback));
    return c.json(
      {
        ...qualityOf(sum, {
          model: { name, version },
          fromMs,
          toMs,
          reports: rows.reduce((n, r) => n + (r.reports ?? 1), 0),
        }),
        series: seriesOf(rows, fromMs, toMs, Math.min(query.buckets, toMs - fromMs)),
        ...(query.by ? { slices: slicesOf(rows, query.by) } : {}),
      },
      200,
    );
  });
}
