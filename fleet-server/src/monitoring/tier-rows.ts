import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { profileText } from '../telemetry/profile-codec';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A stored tier row as the timeseries buckets it: at its period's start. */
export interface TierRow {
  scope: string;
  sourceId: string;
  atMs: number;
  orderMs: number;
  reports: number;
  profile: string;
}

/** What to read: a version's role over `[fromMs, toMs)`, optionally one device; `perSource` keeps sources apart. */
export interface TierQuery {
  modelName: string;
  version: string;
  role: 'active' | 'shadow';
  fromMs: number;
  toMs: number;
  stepMs: number;
  deviceId?: string;
  /** Per-source rows (a label selector or a device asks); otherwise the fleet-wide tier answers. */
  perSource: boolean;
  /** Most rows read (newest first); one more is returned when there were more. */
  limit: number;
}

/** How far past its receive time a window may end (the ingest's clock slack, `MAX_FUTURE_WINDOW_MS`). */
const FUTURE_SLACK_MS = 300_000;

/**
 * Start of the first hour whose raw reports are all still stored: retention deleted reports received before its
 * cursor (`raw_deleted_before`), and a window starts at most the clock slack before it was received. Earlier hours
 * are answered by the hourly tier (which holds every merged report of them). 0 while nothing was deleted.
 */
export function rawKeptFromMs(db: FleetDb): number {
  const s = schema.telemetryTierState;
  const cursor = db.select({ v: s.valueMs }).from(s).where(eq(s.name, 'raw_deleted_before')).get()?.v;
  return cursor === undefined ? 0 : Math.floor((cursor + FUTURE_SLACK_MS) / HOUR_MS) * HOUR_MS + HOUR_MS;
}

/**
 * Start of the first UTC day the daily tiers may not hold yet: days before it were rolled up after every hour of
 * them had been merged (the roll-up's cursor), days from it on are read from the hours.
 */
export function dailyThroughMs(db: FleetDb): number {
  const s = schema.telemetryTierState;
  const cursor = db.select({ v: s.valueMs }).from(s).where(eq(s.name, 'daily_rollup')).get()?.v;
  return cursor === undefined ? 0 : Math.floor(cursor / DAY_MS) * DAY_MS;
}

/**
 * The coarsest tier rows that answer a timeseries of `stepMs` ≥ 1 h, newest first: when the step is whole days,
 * the daily rows of the days before {@link dailyThroughMs} and hourly rows after; otherwise hourly rows. Fleet-wide
 * rows unless `perSource` (one row per period however many devices report).
 */
export function readTierRows(db: FleetDb, q: TierQuery): TierRow[] {
  const byDay = q.stepMs % DAY_MS === 0;
  const split = byDay ? Math.min(Math.max(dailyThroughMs(db), q.fromMs), q.toMs) : q.fromMs;
  const hours = readHours(db, q, split, q.toMs, q.limit + 1);
  if (split <= q.fromMs || hours.length > q.limit) return hours;
  return [...hours, ...readDays(db, q, q.fromMs, split, q.limit + 1 - hours.length)];
}

function readHours(db: FleetDb, q: TierQuery, fromMs: number, toMs: number, limit: number): TierRow[] {
  if (fromMs >= toMs) return [];
  if (!q.perSource) return readFleet(db, q, 'hour', fromMs, toMs, limit);
  const t = schema.telemetryAggregates;
  const conditions: SQL[] = [
    eq(t.modelName, q.modelName),
    eq(t.modelVersion, q.version),
    gte(t.hourMs, fromMs),
    lt(t.hourMs, toMs),
    eq(t.role, q.role),
  ];
  if (q.deviceId !== undefined) conditions.push(eq(t.scope, 'dev'), eq(t.sourceId, q.deviceId));
  return db
    .select({
      scope: t.scope,
      sourceId: t.sourceId,
      atMs: t.hourMs,
      orderMs: t.hourMs,
      reports: t.reports,
      profile: t.profile,
    })
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.hourMs))
    .limit(limit)
    .all()
    .map((row) => ({ ...row, profile: profileText(row.profile) }));
}

function readDays(db: FleetDb, q: TierQuery, fromMs: number, toMs: number, limit: number): TierRow[] {
  if (!q.perSource) return readFleet(db, q, 'day', fromMs, toMs, limit);
  const t = schema.telemetryDaily;
  const conditions: SQL[] = [
    eq(t.modelName, q.modelName),
    eq(t.modelVersion, q.version),
    gte(t.dayMs, fromMs),
    lt(t.dayMs, toMs),
    eq(t.role, q.role),
  ];
  if (q.deviceId !== undefined) conditions.push(eq(t.scope, 'dev'), eq(t.sourceId, q.deviceId));
  return db
    .select({
      scope: t.scope,
      sourceId: t.sourceId,
      atMs: t.dayMs,
      orderMs: t.dayMs,
      reports: t.reports,
      profile: t.profile,
    })
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.dayMs))
    .limit(limit)
    .all()
    .map((row) => ({ ...row, profile: profileText(row.profile) }));
}

function readFleet(
  db: FleetDb,
  q: TierQuery,
  period: 'hour' | 'day',
  fromMs: number,
  toMs: number,
  limit: number,
): TierRow[] {
  const f = schema.telemetryFleet;
  return db
    .select({ atMs: f.startMs, orderMs: f.startMs, reports: f.reports, profile: f.profile })
    .from(f)
    .where(
      and(
        eq(f.modelName, q.modelName),
        eq(f.modelVersion, q.version),
        eq(f.role, q.role),
        eq(f.period, period),
        gte(f.startMs, fromMs),
        lt(f.startMs, toMs),
      ),
    )
    .orderBy(desc(f.startMs))
    .limit(limit)
    .all()
    .map((row) => ({ ...row, profile: profileText(row.profile), scope: '*', sourceId: '*' }));
}
