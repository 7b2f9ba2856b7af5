import type { Proportion, QualityFigures, VersionQuality } from '@edgefleet/shared/api';
import { CliApi } from './api';
import {
  COMMON_FLAGS_HELP,
  noArguments,
  parseDuration,
  parseFlags,
  parseModelRef,
  parsePositiveInt,
} from './flags';
import { type CliIo, UsageError } from './io';
import { num, printable, printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet quality`: measured accuracy of a version from operator labels, beside the estimated one.

export const QUALITY_USAGE = `Usage: edgefleet quality --model NAME@VERSION [--since 24h] [--by LABEL_KEY] [--buckets 24]

Accuracy, agreement with the operators on what went to review, accuracy of what the model decided alone and
the review share, each with its 95 % Clopper-Pearson interval; the accuracy estimated from the model's
confidences beside the measured one (and what that estimate assumes); the calibration check; per class
precision and recall; --by: the same per value of a device label (each web app on its own); and the series
over --buckets equal time buckets. Default range: the last 24 hours.
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  model: { type: 'string' },
  since: { type: 'string' },
  by: { type: 'string' },
  buckets: { type: 'string' },
} as const;

/** `edgefleet quality …`. */
export async function qualityCommand(argv: readonly string[], env: Env, io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, QUALITY_USAGE);
  noArguments(positionals, QUALITY_USAGE);
  const ref = parseModelRef(values.model, '--model');
  const sinceMs = values.since === undefined ? 24 * 3_600_000 : parseDuration(values.since, '--since');
  if (values.by !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/.test(values.by))
    throw new UsageError(
      `--by: expected a label key of [A-Za-z0-9._/-], got '${printable(values.by.slice(0, 80))}'`,
    );
  const buckets = values.buckets === undefined ? undefined : parsePositiveInt(values.buckets, '--buckets');
  if (buckets !== undefined && buckets > 200)
    throw new UsageError(`--buckets: expected at most 200, got ${buckets}`);
  const to = Date.now();
  const api = new CliApi(await resolveTarget(values, env), io);
  const q = await api.call('GET /api/v1/models/{name}/versions/{version}/quality', {
    params: { name: ref.name, version: ref.version! },
    query: { from: to - sinceMs, to, by: values.by, buckets },
  });
  if (values.json) return printJson(io, q);
  io.out(formatQuality(q));
}

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`;
const prop = (p: Proportion) =>
  p.trials === 0
    ? 'n/a'
    : `${pct(p.estimate)} [${pct(p.lower)}, ${pct(p.upper)}] (${p.successes}/${p.trials})`;
const short = (p: Proportion) => (p.trials === 0 ? 'n/a' : `${pct(p.estimate)} (${p.successes}/${p.trials})`);

const figureColumns = ['LABELLED', 'ACCURACY', 'AGREEMENT', 'REVIEW SHARE', 'EST. ACC'];
const figureCells = (f: QualityFigures) => [
  f.labelled,
  short(f.accuracy),
  short(f.agreement),
  short(f.reviewShare),
  pct(f.estimatedAccuracy),
];

/** The text view of a quality read. */
export function formatQuality(q: VersionQuality): string {
  let text = `${q.model.name}@${q.model.version}  ${when(q.fromMs)} → ${when(q.toMs)}  ${q.reports} reports, ${q.labelled} labels, ${q.routed.auto + q.routed.review} inferences routed\n`;
  text += `  accuracy      ${prop(q.accuracy)}\n`;
  text += `  agreement     ${prop(q.agreement)}   (model = operator, on what went to review)\n`;
  text += `  auto accuracy ${prop(q.autoAccuracy)}   (audited labels of what the model decided alone)\n`;
  text += `  review share  ${prop(q.reviewShare)}\n`;
  const e = q.estimated;
  if (e) {
    text += `  estimated     ${pct(e.labelFree.estimate)} [${pct(e.labelFree.lower)}, ${pct(e.labelFree.upper)}] label-free (mean confidence of ${e.inferences})`;
    if (e.calibrated)
      text += `; ${pct(e.calibrated.estimate)} [${pct(e.calibrated.lower)}, ${pct(e.calibrated.upper)}] from labels per confidence bin`;
    text += `\n                assumes ${e.assumes}\n`;
  } else text += '  estimated     n/a (no client sent confidence bins)\n';
  const c = q.calibrationCheck;
  if (c)
    text += `  calibration   ECE ${num(c.ece)} (noise 95% ${num(c.noise95)}, p ${num(c.pValue)}): ${c.miscalibrated ? 'MISCALIBRATED (beyond sampling noise)' : 'within noise'}\n`;
  if (q.classes.length > 0)
    text += `\n${table(
      ['CLASS', 'SUPPORT', 'PRECISION', 'RECALL'],
      q.classes.map((k) => [printable(k.label), k.support, short(k.precision), short(k.recall)]),
    )}`;
  if (q.slices)
    text += `\n${table(
      ['SLICE', 'SOURCES', ...figureColumns],
      q.slices.map((s) => [
        `${s.slice.key}=${s.slice.value === null ? '(none)' : printable(s.slice.value)}`,
        s.sources,
        ...figureCells(s),
      ]),
    )}`;
  const filled = q.series.filter((p) => p.reports > 0);
  if (filled.length > 0)
    text += `\n${table(
      ['FROM', ...figureColumns],
      filled.map((p) => [when(p.fromMs), ...figureCells(p)]),
    )}`;
  return text;
}
