import {
  type DriftThresholdOverrides,
  driftReport,
  LATENCY_STAGES,
  type LatencyStage,
  Profile,
} from '@edgefleet/shared';
import type { VersionMetricsView } from '@edgefleet/shared/api';
import { and, eq, gte, inArray, lt } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { matchesSelector, type Selector } from '../labels/selector';
import type { SpecResolver } from '../models';
import { profileText } from '../telemetry/profile-codec';

const HOUR_MS = 3_600_000;

/** What to aggregate: one model version's role over `[fromMs, toMs)`, optionally only devices matching a selector. */
export interface VersionQuery {
  modelName: string;
  version: string;
  /** Inclusive start; rounded down to its hour (aggregates are hourly). */
  fromMs: number;
  /** Exclusive end; rounded up to the next hour. */
  toMs: number;
  role?: 'active' | 'shadow';
  /** Device label selector; when given, browser (app) aggregates are left out. */
  selector?: Selector;
}

/** The merged profile of a version over a time range and who contributed to it. */
export interface MergedProfile {
  profile: Profile | null;
  reports: number;
  devices: number;
  apps: number;
}

/** Latency quantiles of one stage in ms (null when nothing was measured). */
export type LatencyQuantiles = VersionMetrics['latencyMs'][LatencyStage];

/** Everything the dashboard and the rollout gates read about a version over a time range (the API's view). */
export type VersionMetrics = VersionMetricsView;

/** Merges the hourly aggregates of a version (read-only; every row was merged under the version's spec). */
export function mergedProfile(db: FleetDb, specs: SpecResolver, query: VersionQuery): MergedProfile {
  const found = specs.baselineOf(query.modelName, query.version);
  if (!found) return { profile: null, reports: 0, devices: 0, apps: 0 };
  const t = schema.telemetryAggregates;
  const fromHour = Math.floor(query.fromMs / HOUR_MS) * HOUR_MS;
  const toHour = Math.ceil(query.toMs / HOUR_MS) * HOUR_MS;
  let rows = db
    .select({ scope: t.scope, sourceId: t.sourceId, reports: t.reports, profile: t.profile })
    .from(t)
    .where(
      and(
        eq(t.modelName, query.modelName),
        eq(t.modelVersion, query.version),
        eq(t.role, query.role ?? 'active'),
        gte(t.hourMs, fromHour),
        lt(t.hourMs, toHour),
      ),
    )
    .all();
  if (query.selector) rows = filterBySelector(db, rows, query.selector);
  const merged = new Profile(found.spec);
  const devices = new Set<string>();
  const apps = new Set<string>();
  let reports = 0;
  for (const row of rows) {
    const parsed = Profile.fromJSON(JSON.parse(profileText(row.profile)), found.spec);
    if (!parsed.ok) continue;
    merged.merge(parsed.value);
    reports += row.reports;
    (row.scope === 'dev' ? devices : apps).add(row.sourceId);
  }
  return { profile: reports > 0 ? merged : null, reports, devices: devices.size, apps: apps.size };
}

export function filterBySelector<R extends { scope: string; sourceId: string }>(
  db: FleetDb,
  rows: R[],
  selector: Selector,
): R[] {
  const ids = [...new Set(rows.filter((r) => r.scope === 'dev').map((r) => r.sourceId))];
  if (ids.length === 0) return [];
  const d = schema.devices;
  const matching = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const labelled = db
      .select({ id: d.id, labels: d.labels })
      .from(d)
      .where(inArray(d.id, ids.slice(i, i + 500)))
      .all();
    for (const device of labelled) if (matchesSelector(selector, device.labels)) matching.add(device.id);
  }
  return rows.filter((r) => r.scope === 'dev' && matching.has(r.sourceId));
}

/** p50/p95/p99 of one latency stage. */
export function latencyQuantiles(profile: Profile | null, stage: LatencyStage): LatencyQuantiles {
  const sketch = profile?.latency[stage];
  if (!sketch || sketch.count === 0) return { count: 0, p50: null, p95: null, p99: null };
  const [p50, p95, p99] = sketch.quantiles([0.5, 0.95, 0.99]) as [number, number, number];
  return { count: sketch.count, p50, p95, p99 };
}

/** Merged profile, latency quantiles, error rate and drift against the registered baseline. */
export function versionMetrics(
  db: FleetDb,
  specs: SpecResolver,
  query: VersionQuery,
  thresholds?: DriftThresholdOverrides,
): VersionMetrics {
  const merged = mergedProfile(db, specs, query);
  const profile = merged.profile;
  const baseline = specs.baselineOf(query.modelName, query.version)?.baseline ?? null;
  const latencyMs = Object.fromEntries(
    LATENCY_STAGES.map((s) => [s, latencyQuantiles(profile, s)]),
  ) as Record<LatencyStage, LatencyQuantiles>;
  const inferences = profile?.inferences ?? 0;
  const errors = profile?.errorCount ?? 0;
  return {
    model: { name: query.modelName, version: query.version },
    role: query.role ?? 'active',
    fromMs: query.fromMs,
    toMs: query.toMs,
    reports: merged.reports,
    devices: merged.devices,
    apps: merged.apps,
    inferences,
    errors,
    errorsByKind: profile?.errors ?? {},
    errorRate: inferences > 0 ? errors / inferences : null,
    latencyMs,
    drift: profile && baseline ? driftReport(baseline, profile, thresholds) : null,
    profile: profile?.toJSON() ?? null,
  };
}
