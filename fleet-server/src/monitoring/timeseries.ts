import { mergeJsonInto, Profile } from '@edgefleet/shared';
import type { Timeseries } from '@edgefleet/shared/api';
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { Selector } from '../labels/selector';
import type { SpecResolver } from '../models';
import { pointOf, type TimeseriesPoint } from './point';
import { rawKeptFromMs, readTierRows } from './tier-rows';
import { filterBySelector } from './version-metrics';

export const HOUR_MS = 3_600_000;
/** Most points one request may ask for. */
export const MAX_POINTS = 500;
/**
 * Longest report window the raw path looks back for: a report is found when its window started at most this
 * long before `from` (outbox compaction merges windows up to hours; longer ones are left out of short ranges).
 */
export const MAX_WINDOW_LOOKBACK_MS = 24 * HOUR_MS;

/** One version's timeseries request, already validated. */
export interface TimeseriesQuery {
  modelName: string;
  version: string;
  fromMs: number;
  toMs: number;
  stepMs: number;
  role: 'active' | 'shadow';
  selector?: Selector;
  deviceId?: string;
  /** Rows (reports or hourly aggregates) one request may read. */
  rowBudget: number;
}

/** The answer: points of `stepMs` from `from` (aligned down to a multiple of stepMs) to `to` (the API's view). */
export type { Timeseries };

interface Row {
  scope: string;
  sourceId: string;
  /** The ms the row is bucketed by: report window end, or aggregate hour. */
  atMs: number;
  /** Raw path: window start (the read order); aggregates: the hour. */
  orderMs: number;
  reports: number;
  profile: string;
}

/** Number of points `[fromMs, toMs)` makes at `stepMs`, with `fromMs` aligned down to a multiple of `stepMs`. */
export function pointCount(fromMs: number, toMs: number, stepMs: number): number {
  const from = Math.floor(fromMs / stepMs) * stepMs;
  return Math.max(1, Math.ceil((toMs - from) / stepMs));
}

/**
 * Buckets a version's telemetry into points of `stepMs`: from the raw reports (each bucket's profiles merged
 * with the shared Profile code) when stepMs < 1 h, otherwise from the coarsest tier that answers (fleet-wide rows
 * unless a selector or device asks for sources; daily rows for whole-day steps, see {@link readTierRows}). Reads
 * newest first and at most `rowBudget` rows; past the budget the older points are left out and `truncated` says so.
 */
export function versionTimeseries(db: FleetDb, specs: SpecResolver, query: TimeseriesQuery): Timeseries {
  const from = Math.floor(query.fromMs / query.stepMs) * query.stepMs;
  const count = pointCount(query.fromMs, query.toMs, query.stepMs);
  const source = query.stepMs >= HOUR_MS ? 'aggregates' : 'reports';
  const found = specs.baselineOf(query.modelName, query.version);
  let rows = found
    ? source === 'reports'
      ? readReports(db, query, from)
      : readTierRows(db, {
          ...query,
          fromMs: from,
          perSource: query.selector !== undefined || query.deviceId !== undefined,
          limit: query.rowBudget,
        })
    : [];
  const rowsRead = rows.length;
  let truncated = false;
  let coveredFrom = from;
  if (rows.length > query.rowBudget) {
    truncated = true;
    rows = rows.slice(0, query.rowBudget);
    coveredFrom = coverageStart(rows, from, query.stepMs);
    rows = rows.filter((row) => row.atMs >= coveredFrom);
  }
  if (source === 'reports') {
    // Raw reports before this were deleted by retention: those points are not covered (a step of 1 h or more is).
    const keptFrom = rawKeptFromMs(db);
    if (keptFrom > coveredFrom) {
      coveredFrom = Math.min(query.toMs, from + Math.ceil((keptFrom - from) / query.stepMs) * query.stepMs);
      rows = rows.filter((row) => row.atMs >= coveredFrom);
    }
  }
  if (query.selector) rows = filterBySelector(db, rows, query.selector);
  const buckets = new Map<number, { profile: Profile; reports: number }>();
  for (const row of rows) {
    const index = Math.floor((row.atMs - from) / query.stepMs);
    if (index < 0 || index >= count || !found) continue;
    let bucket = buckets.get(index);
    if (!bucket) {
      bucket = { profile: new Profile(found.spec), reports: 0 };
      buckets.set(index, bucket);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.profile);
    } catch {
      continue;
    }
    // Stored rows were checked at ingest; one that no longer reads is skipped, never half-merged.
    if (mergeJsonInto(bucket.profile, parsed).ok) bucket.reports += row.reports;
  }
  const points: TimeseriesPoint[] = [];
  const firstIndex = Math.ceil((coveredFrom - from) / query.stepMs);
  for (let i = firstIndex; i < count; i++) {
    const bucket = buckets.get(i);
    points.push(
      pointOf(
        from + i * query.stepMs,
        bucket?.reports ?? 0,
        bucket?.profile ?? null,
        found?.baseline ?? null,
      ),
    );
  }
  return {
    model: query.modelName,
    version: query.version,
    role: query.role,
    from,
    to: query.toMs,
    stepMs: query.stepMs,
    source,
    rowsRead: Math.min(rowsRead, query.rowBudget + 1),
    truncated,
    coveredFrom,
    hasBaseline: Boolean(found?.baseline),
    points,
  };
}

/**
 * First bucket start whose rows were all read. Rows come newest first by `orderMs`; an unread row has
 * `orderMs` at or before the last read one, so its bucket time is at most that plus the longest window read.
 */
function coverageStart(read: Row[], from: number, stepMs: number): number {
  const oldest = read[read.length - 1]!.orderMs;
  let reach = 0;
  for (const row of read) reach = Math.max(reach, row.atMs - row.orderMs);
  const limit = oldest + reach + 1;
  return Math.max(from, Math.ceil((limit - from) / stepMs) * stepMs + from);
}

/** What {@link mergeRecentReports} merged. */
export interface MergedRange {
  profile: Profile | null;
  reports: number;
  /** True when more rows matched than the budget; the newest `rowBudget` were merged. */
  truncated: boolean;
}

/**
 * Merges a version's raw reports whose window lies in `[fromMs, toMs)` (newest first, at most `rowBudget`)
 * with the shared Profile code: the window the drift alert judges.
 */
export function mergeRecentReports(
  db: FleetDb,
  specs: SpecResolver,
  query: Omit<TimeseriesQuery, 'stepMs' | 'selector'>,
): MergedRange {
  const found = specs.baselineOf(query.modelName, query.version);
  if (!found) return { profile: null, reports: 0, truncated: false };
  const rows = readReports(db, { ...query, stepMs: query.toMs - query.fromMs }, query.fromMs, 0);
  const truncated = rows.length > query.rowBudget;
  const profile = new Profile(found.spec);
  let reports = 0;
  for (const row of rows.slice(0, query.rowBudget)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.profile);
    } catch {
      continue;
    }
    if (mergeJsonInto(profile, parsed).ok) reports++;
  }
  return { profile: reports > 0 ? profile : null, reports, truncated };
}

function readReports(
  db: FleetDb,
  query: TimeseriesQuery,
  from: number,
  lookbackMs = MAX_WINDOW_LOOKBACK_MS,
): Row[] {
  const r = schema.telemetryReports;
  const conditions: SQL[] = [
    eq(r.modelName, query.modelName),
    eq(r.modelVersion, query.version),
    gte(r.windowStartMs, from - lookbackMs),
    lt(r.windowStartMs, query.toMs),
    gte(r.windowEndMs, from),
    lt(r.windowEndMs, query.toMs),
    eq(r.role, query.role),
    eq(r.status, 'merged'),
  ];
  if (query.deviceId !== undefined) conditions.push(eq(r.scope, 'dev'), eq(r.sourceId, query.deviceId));
  return db
    .select({
      scope: r.scope,
      sourceId: r.sourceId,
      atMs: r.windowEndMs,
      orderMs: r.windowStartMs,
      profile: r.profile,
    })
    .from(r)
    .where(and(...conditions))
    .orderBy(desc(r.windowStartMs), desc(r.id))
    .limit(query.rowBudget + 1)
    .all()
    .map((row) => ({ ...row, reports: 1 }));
}
