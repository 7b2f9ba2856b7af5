import type { Profile } from '@edgefleet/shared';
import { and, isNull, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { Selector } from '../labels/selector';
import type { SpecResolver } from '../models';
import { driftOf } from '../monitoring/point';
import { HOUR_MS, mergeRecentReports } from '../monitoring/timeseries';
import { mergedProfile } from '../monitoring/version-metrics';
import { type Bound, judgeWindow } from './judge';
import type { AlertCondition } from './store';

/** Most values of one slice label judged (the first in order); more would split the error budget too thin. */
export const MAX_SLICE_VALUES = 50;

/** What {@link windowConditions} needs besides the database. */
export interface WindowConditionInput {
  nowMs: number;
  windowMs: number;
  psiThreshold: number;
  /** Error rate threshold of the `quality` alert; 0: not tested. */
  errorRate: number;
  /** Latency p95 threshold (ms) of the `quality` alert; 0: not tested. */
  latencyP95Ms: number;
  /** Family-wise confidence of one evaluation of a version (all features, tests and slices together). */
  confidence: number;
  /** Device label keys whose every value is judged as its own slice, besides the whole fleet. */
  sliceLabels: readonly string[];
  minInferences: number;
  rowBudget: number;
}

/** Conditions that hold, and the keys whose data was too thin to judge (their open alerts stay open). */
export interface WindowOutcome {
  conditions: AlertCondition[];
  undecided: string[];
}

interface Slice {
  text: string;
  selector: Selector;
}

/**
 * Per registered version, role and slice (the fleet, and each value of each `sliceLabels` key): merges the
 * last `windowMs` of telemetry and judges it with {@link judgeWindow} — `drift` when a feature's PSI lower
 * bound reaches the threshold, `quality` when the error rate's or the latency p95's does. With fewer than
 * `minInferences` the window is undecided: an open alert stays open, none opens.
 */
export function windowConditions(
  db: FleetDb,
  specs: SpecResolver,
  input: WindowConditionInput,
): { drift: WindowOutcome; quality: WindowOutcome } {
  const v = schema.modelVersions;
  const versions = db.select({ name: v.modelName, version: v.version }).from(v).all();
  const slices = sliceValues(db, input.sliceLabels);
  const drift: WindowOutcome = { conditions: [], undecided: [] };
  const quality: WindowOutcome = { conditions: [], undecided: [] };
  for (const { name, version } of versions) {
    const baseline = specs.baselineOf(name, version)?.baseline;
    if (!baseline) continue;
    for (const role of ['active', 'shadow'] as const) {
      for (const slice of [null, ...slices]) {
        const suffix = slice ? `:${slice.text}` : '';
        const keys = {
          drift: `drift:${name}@${version}:${role}${suffix}`,
          quality: `quality:${name}@${version}:${role}${suffix}`,
        };
        const merged = mergeWindow(db, specs, { name, version, role, slice }, input);
        if (!merged.profile || merged.profile.inferences < input.minInferences) {
          drift.undecided.push(keys.drift);
          quality.undecided.push(keys.quality);
          continue;
        }
        const judged = judgeWindow(baseline, merged.profile, { ...input, windows: 1 + slices.length });
        const subject = {
          model: name,
          version,
          role,
          ...(slice ? { selector: slice.text } : {}),
        };
        const family = {
          confidence: input.confidence,
          perTestConfidence: judged.perTestConfidence,
          tests: judged.tests,
          inferences: merged.profile.inferences,
          reports: merged.reports,
          windowMs: input.windowMs,
          truncated: merged.truncated,
          selector: slice?.text ?? null,
        };
        const where = `${name}@${version} (${role}${slice ? `, ${slice.text}` : ''})`;
        const driftBreaches = judged.drift.filter((b) => b.breach);
        if (driftBreaches.length > 0) {
          const point = driftOf(baseline, merged.profile);
          const worst = worstOf(driftBreaches);
          drift.conditions.push({
            kind: 'drift',
            key: keys.drift,
            severity: worst.interval.lower >= 2 * input.psiThreshold ? 'critical' : 'warning',
            subject,
            message: `${where} drifts: ${describe(worst)}${more(driftBreaches)}`,
            details: {
              ...family,
              test: 'psi_lower_bound',
              maxPsi: point.maxPsi,
              maxJs: point.maxJs,
              inputs: point.inputs,
              outputs: point.outputs,
              bounds: driftBreaches.map(boundView),
            },
          });
        }
        const qualityBreaches = [judged.errorRate, judged.latencyP95Ms].filter(
          (b): b is Bound => b?.breach === true,
        );
        if (qualityBreaches.length > 0) {
          quality.conditions.push({
            kind: 'quality',
            key: keys.quality,
            severity: 'critical',
            subject,
            message: `${where}: ${qualityBreaches.map(describe).join('; ')}`,
            details: { ...family, test: 'lower_bound', bounds: qualityBreaches.map(boundView) },
          });
        }
      }
    }
  }
  return { drift, quality };
}

const percent = (x: number) => `${Math.round(x * 10_000) / 100} %`;

/** "PSI of input x ≥ 0.31 (estimate 0.45; threshold 0.25; 99 % family-wise)". */
function describe(b: Bound): string {
  const format = (x: number) =>
    b.test === 'error rate'
      ? `${(100 * x).toFixed(2)} %`
      : b.test === 'latency p95'
        ? `${x.toFixed(1)} ms`
        : x.toFixed(3);
  const what = b.test.startsWith('input') || b.test.startsWith('output') ? `PSI of ${b.test}` : b.test;
  return `${what} ≥ ${format(b.interval.lower)} (estimate ${format(b.interval.estimate)}; threshold ${format(b.threshold)}; ${percent(b.interval.confidence)} per test)`;
}

const more = (bounds: Bound[]) => (bounds.length > 1 ? ` and ${bounds.length - 1} more` : '');

const worstOf = (bounds: Bound[]) => [...bounds].sort((a, b) => b.interval.lower - a.interval.lower)[0]!;

/** A bound as JSON (an infinite side is null). */
function boundView(b: Bound) {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    test: b.test,
    estimate: finite(b.interval.estimate),
    lower: finite(b.interval.lower),
    upper: finite(b.interval.upper),
    confidence: b.interval.confidence,
    threshold: b.threshold,
  };
}

/** Every value of each slice label among enabled devices (at most {@link MAX_SLICE_VALUES} per label). */
function sliceValues(db: FleetDb, labels: readonly string[]): Slice[] {
  const d = schema.devices;
  const slices: Slice[] = [];
  for (const key of labels) {
    const path = `$."${key}"`;
    const value = sql<string | null>`json_extract(${d.labels}, ${path})`;
    const rows = db
      .selectDistinct({ value })
      .from(d)
      .where(and(isNull(d.disabledAt), sql`${value} is not null`))
      .orderBy(value)
      .limit(MAX_SLICE_VALUES)
      .all();
    for (const { value: v } of rows) {
      if (typeof v !== 'string') continue;
      slices.push({ text: `${key}=${v}`, selector: { requirements: [{ key, op: 'eq', values: [v] }] } });
    }
  }
  return slices;
}

/**
 * The telemetry of the last `windowMs`: from the hourly aggregates (the hours the window touches) when the
 * window is an hour or more or a slice is asked for (only aggregates carry the device to select by), otherwise
 * from the raw reports within the row budget.
 */
function mergeWindow(
  db: FleetDb,
  specs: SpecResolver,
  what: { name: string; version: string; role: 'active' | 'shadow'; slice: Slice | null },
  input: WindowConditionInput,
): { profile: Profile | null; reports: number; truncated: boolean } {
  const range = {
    modelName: what.name,
    version: what.version,
    role: what.role,
    fromMs: input.nowMs - input.windowMs,
    toMs: input.nowMs + 1,
  };
  if (what.slice)
    return { ...mergedProfile(db, specs, { ...range, selector: what.slice.selector }), truncated: false };
  if (input.windowMs >= HOUR_MS) return { ...mergedProfile(db, specs, range), truncated: false };
  return mergeRecentReports(db, specs, { ...range, rowBudget: input.rowBudget });
}
