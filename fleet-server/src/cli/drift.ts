import type { ClassDrift, DriftReport, FeatureDrift } from '@edgefleet/shared';
import type { VersionMetricsView as Metrics } from '@edgefleet/shared/api';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, noArguments, parseDuration, parseFlags, parseModelRef } from './flags';
import { type CliIo, UsageError } from './io';
import { num, printable, printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet drift`: a version's telemetry against its baseline, worst feature first.

export const DRIFT_USAGE = `Usage: edgefleet drift --model NAME@VERSION [--since 1h | --from ISO --to ISO] [--selector 'site=plant-a']
                       [--role active|shadow] [--psi 0.2] [--js 0.1]

Per input and output feature: PSI, Jensen-Shannon, KS D and Wasserstein / baseline std as the metrics API
returns them, worst first; values over --psi / --js are marked '!'. Also latency p50/p95/p99 per stage and
the error rate. Default range: the last 24 hours (telemetry is stored per hour).
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  model: { type: 'string' },
  since: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  selector: { type: 'string' },
  role: { type: 'string' },
  psi: { type: 'string' },
  js: { type: 'string' },
} as const;

/** A feature's drift with which thresholds it is over. */
export interface RankedFeature extends FeatureDrift {
  kind: 'input' | 'output';
  over: ('psi' | 'js')[];
}

function threshold(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag}: expected a number ≥ 0, got '${text}'`);
  return n;
}

function time(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new UsageError(`${flag}: expected an ISO time like 2026-11-23T10:00:00Z, got '${text}'`);
  return ms;
}

/** Features sorted worst first: by the larger of PSI / psi threshold and JS / js threshold; no data last. */
export function rankFeatures(drift: DriftReport, limits: { psi: number; js: number }): RankedFeature[] {
  const ranked = [
    ...drift.inputs.map((f) => ({ ...f, kind: 'input' as const })),
    ...drift.outputs.map((f) => ({ ...f, kind: 'output' as const })),
  ].map((f) => ({
    ...f,
    over: [
      ...(f.psi !== null && f.psi > limits.psi ? ['psi' as const] : []),
      ...(f.js !== null && f.js > limits.js ? ['js' as const] : []),
    ],
  }));
  const score = (f: RankedFeature) =>
    f.psi === null && f.js === null
      ? -1
      : Math.max((f.psi ?? 0) / (limits.psi || 1e-9), (f.js ?? 0) / (limits.js || 1e-9));
  return ranked.sort((a, b) => score(b) - score(a) || a.name.localeCompare(b.name));
}

/** `edgefleet drift …`. */
export async function driftCommand(argv: readonly string[], env: Env, io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(argv, OPTIONS, DRIFT_USAGE);
  noArguments(positionals, DRIFT_USAGE);
  const ref = parseModelRef(values.model, '--model');
  if (values.since !== undefined && (values.from !== undefined || values.to !== undefined)) {
    throw new UsageError('give --since or --from/--to, not both', DRIFT_USAGE);
  }
  if (values.role !== undefined && values.role !== 'active' && values.role !== 'shadow') {
    throw new UsageError(`--role: expected active or shadow, got '${values.role}'`, DRIFT_USAGE);
  }
  const limits = { psi: threshold(values.psi, 0.2, '--psi'), js: threshold(values.js, 0.1, '--js') };
  const from =
    values.since !== undefined
      ? Date.now() - parseDuration(values.since, '--since')
      : values.from !== undefined
        ? time(values.from, '--from')
        : undefined;
  const to = values.to !== undefined ? time(values.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && from >= to)
    throw new UsageError('--from must be before --to');
  const api = new CliApi(await resolveTarget(values, env), io);
  const params = { name: ref.name, version: ref.version! };
  const metrics = await api.call('GET /api/v1/models/{name}/versions/{version}/metrics', {
    params,
    query: { from, to, selector: values.selector, role: values.role },
  });
  // The metrics route answers an empty range for a version that does not exist: tell them apart.
  if (metrics.reports === 0) await api.call('GET /api/v1/models/{name}/versions/{version}', { params });
  const features = metrics.drift ? rankFeatures(metrics.drift, limits) : [];
  if (values.json) {
    const { drift, profile: _profile, ...rest } = metrics;
    return printJson(io, {
      ...rest,
      thresholds: limits,
      verdict: drift?.verdict ?? null,
      features,
      classes: drift?.classes ?? null,
    });
  }
  io.out(formatDrift(metrics, features, limits));
}

function formatDrift(m: Metrics, features: RankedFeature[], limits: { psi: number; js: number }): string {
  const head = `${m.model.name}@${m.model.version} (${m.role})  ${when(m.fromMs)} → ${when(m.toMs)}  verdict ${m.drift?.verdict ?? 'no data'}\n`;
  const rate = m.errorRate === null ? 'n/a' : `${(m.errorRate * 100).toFixed(2)}%`;
  let text = `${head}  ${m.reports} reports from ${m.devices} devices and ${m.apps} apps; ${m.inferences} inferences, ${m.errors} errors (${rate})\n`;
  if (m.reports === 0) return `${text}  no telemetry for this version in this range\n`;
  text += `\n${table(
    ['LATENCY ms', 'COUNT', 'P50', 'P95', 'P99'],
    Object.entries(m.latencyMs).map(([stage, q]) => [stage, q.count, num(q.p50), num(q.p95), num(q.p99)]),
  )}\n`;
  const mark = (value: number | null, over: boolean) => `${num(value)}${over ? ' !' : ''}`;
  text += table(
    ['FEATURE', 'KIND', `PSI (>${limits.psi})`, `JS (>${limits.js})`, 'KS D', 'W/STD', 'N', 'VERDICT'],
    features.map((f) => [
      f.name,
      f.kind,
      mark(f.psi, f.over.includes('psi')),
      mark(f.js, f.over.includes('js')),
      num(f.ksD),
      num(f.wassersteinNorm),
      f.currentCount,
      f.verdict,
    ]),
  );
  const classes: ClassDrift | null = m.drift?.classes ?? null;
  if (classes) {
    const mix = classes.labels.map(
      (l, i) => `${printable(l)} ${classes.baselineCounts[i]}→${classes.currentCounts[i]}`,
    );
    text += `classes  JS ${mark(classes.js, classes.js !== null && classes.js > limits.js)}  ${classes.verdict}  (baseline→current: ${mix.join(', ')})\n`;
  }
  return text;
}
