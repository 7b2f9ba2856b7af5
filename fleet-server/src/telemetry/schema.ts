import type { FeedbackAggregate, RuntimeInfo, SoftwareMetrics } from '@edgefleet/shared';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { StoredProfile } from './profile-codec';

/** Where a report came from: a device (`dev`, source = device id) or a web app's browsers (`app`, source = app id). */
export type TelemetryScope = 'dev' | 'app';

/**
 * What happened to a stored report. Every stored report is acknowledged (so the client trims its
 * outbox); only `merged` ones are in the aggregates. The others keep their profile so they can be
 * merged later (e.g. once an unknown version is registered). `expired`: the window began before the hourly tier's
 * retention, whose rows are gone, so it is kept raw (until the raw retention) and never merged.
 */
export type ReportStatus = 'merged' | 'spec_mismatch' | 'unknown_version' | 'expired';

/**
 * One telemetry window report, stored once per `(scope, source, client, epoch, seq)`.
 * Browser client ids are namespaced by app so that no app can shadow a device's sequence numbers.
 */
export const telemetryReports = sqliteTable(
  'telemetry_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    scope: text('scope').$type<TelemetryScope>().notNull(),
    sourceId: text('source_id').notNull(),
    clientId: text('client_id').notNull(),
    epoch: integer('epoch').notNull(),
    seq: integer('seq').notNull(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    role: text('role').$type<'active' | 'shadow'>().notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    specHash: text('spec_hash').notNull(),
    status: text('status').$type<ReportStatus>().notNull(),
    inferences: integer('inferences').notNull(),
    errors: integer('errors').notNull(),
    /** Runtime info and overflow counters as reported. */
    runtime: text('runtime', { mode: 'json' }).$type<RuntimeInfo>().notNull(),
    overflow: text('overflow', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    /** Process metrics of the window (RSS, CPU, event-loop delay) when the client sent them. */
    software: text('software', { mode: 'json' }).$type<SoftwareMetrics>(),
    /** Operator feedback of the window (confusion matrix, labels and routes per decision route), when sent. */
    feedback: text('feedback', { mode: 'json' }).$type<FeedbackAggregate>(),
    /** The window's ProfileJSON as received. */
    profile: text('profile').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('telemetry_reports_client_seq').on(t.scope, t.sourceId, t.clientId, t.epoch, t.seq),
    index('telemetry_reports_version_window').on(t.modelName, t.modelVersion, t.windowStartMs),
  ],
);

/**
 * Merged profiles per (model version, role, source, hour): the read side of every metric query.
 * Devices aggregate per device; browsers per app (a million browsers would otherwise be a million rows an hour).
 */
export const telemetryAggregates = sqliteTable(
  'telemetry_aggregates',
  {
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    role: text('role').$type<'active' | 'shadow'>().notNull(),
    scope: text('scope').$type<TelemetryScope>().notNull(),
    sourceId: text('source_id').notNull(),
    /** Start of the UTC hour of the windows' start, in ms. */
    hourMs: integer('hour_ms').notNull(),
    specHash: text('spec_hash').notNull(),
    reports: integer('reports').notNull(),
    inferences: integer('inferences').notNull(),
    errors: integer('errors').notNull(),
    /** Merged ProfileJSON (without spec). */
    profile: text('profile').$type<StoredProfile>().notNull(),
    /** Operator feedback of the hour's reports that carried it, summed (null when none did). */
    feedback: text('feedback', { mode: 'json' }).$type<FeedbackAggregate>(),
    feedbackReports: integer('feedback_reports').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelName, t.modelVersion, t.role, t.scope, t.sourceId, t.hourMs] }),
    index('telemetry_aggregates_version_hour').on(t.modelName, t.modelVersion, t.hourMs),
    // The daily roll-up finds the hours merged into since its last pass.
    index('telemetry_aggregates_updated').on(t.updatedAt),
  ],
);

/** The daily tier per source: the hourly rows of one UTC day merged (kept past the hourly retention). */
export const telemetryDaily = sqliteTable(
  'telemetry_daily',
  {
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    role: text('role').$type<'active' | 'shadow'>().notNull(),
    scope: text('scope').$type<TelemetryScope>().notNull(),
    sourceId: text('source_id').notNull(),
    /** Start of the UTC day, in ms. */
    dayMs: integer('day_ms').notNull(),
    specHash: text('spec_hash').notNull(),
    reports: integer('reports').notNull(),
    inferences: integer('inferences').notNull(),
    errors: integer('errors').notNull(),
    profile: text('profile').$type<StoredProfile>().notNull(),
    feedback: text('feedback', { mode: 'json' }).$type<FeedbackAggregate>(),
    feedbackReports: integer('feedback_reports').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelName, t.modelVersion, t.role, t.scope, t.sourceId, t.dayMs] }),
    index('telemetry_daily_version_day').on(t.modelName, t.modelVersion, t.dayMs),
  ],
);

/** Length of one period of the fleet-wide tier. */
export type FleetPeriod = 'hour' | 'day';

/**
 * The fleet-wide tier: every source's reports of a version's role per hour (merged at ingest) and per day (rolled
 * up from the hours), so a fleet-wide timeseries reads one row per point however many devices report.
 */
export const telemetryFleet = sqliteTable(
  'telemetry_fleet',
  {
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    role: text('role').$type<'active' | 'shadow'>().notNull(),
    period: text('period').$type<FleetPeriod>().notNull(),
    startMs: integer('start_ms').notNull(),
    specHash: text('spec_hash').notNull(),
    reports: integer('reports').notNull(),
    inferences: integer('inferences').notNull(),
    errors: integer('errors').notNull(),
    profile: text('profile').$type<StoredProfile>().notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.modelName, t.modelVersion, t.role, t.period, t.startMs] }),
    index('telemetry_fleet_updated').on(t.updatedAt),
  ],
);

/** The window bound of a mark that must stay (see {@link telemetryClientMarks}; marks made before it existed too). */
export const MARK_UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * Per client epoch, the highest seq whose raw report was deleted by retention: a resent report at or below it may
 * have been counted already (its row is gone), so it is acknowledged as a duplicate and never merged again.
 * `windowStartMaxMs` is the latest window start (server clock, as stored) of those reports: once it is before the
 * hourly tier's merge cutoff, a resend of any of them would be stored `expired` (never merged), so tier maintenance
 * deletes the mark. A report whose window was moved back because it ended in the future (its clock ahead) is
 * re-dated at every resend, so it gives its mark no bound ({@link MARK_UNBOUNDED}): that mark stays.
 */
export const telemetryClientMarks = sqliteTable(
  'telemetry_client_marks',
  {
    scope: text('scope').$type<TelemetryScope>().notNull(),
    sourceId: text('source_id').notNull(),
    clientId: text('client_id').notNull(),
    epoch: integer('epoch').notNull(),
    prunedSeq: integer('pruned_seq').notNull(),
    windowStartMaxMs: integer('window_start_max_ms').notNull().default(MARK_UNBOUNDED),
  },
  (t) => [
    primaryKey({ columns: [t.scope, t.sourceId, t.clientId, t.epoch] }),
    index('telemetry_client_marks_window').on(t.windowStartMaxMs),
  ],
);

/** Cursors of the tier maintenance (e.g. `daily_rollup`: hourly rows updated up to this ms are rolled up). */
export const telemetryTierState = sqliteTable('telemetry_tier_state', {
  name: text('name').primaryKey(),
  valueMs: integer('value_ms').notNull(),
});
