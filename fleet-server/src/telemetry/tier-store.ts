import type Database from 'better-sqlite3';
import type { FleetDb } from '../db';
import type { StoredProfile } from './profile-codec';
import { MARK_UNBOUNDED } from './schema';

/** A per-source hourly row as the daily roll-up reads it. */
export interface HourRow {
  reports: number;
  profile: StoredProfile;
  feedback: string | null;
  feedback_reports: number;
}

/** A (version, role, source, day) whose hours changed since the last roll-up. */
export interface SourceDay {
  model_name: string;
  model_version: string;
  role: string;
  scope: string;
  source_id: string;
  day_ms: number;
}

/** A raw report as retention deletes it: enough to advance its client epoch's mark. */
interface RawRow {
  id: number;
  scope: string;
  source_id: string;
  client_id: string;
  epoch: number;
  seq: number;
  window_start_ms: number;
  window_end_ms: number;
  received_at: number;
}

const DAY_MS = 86_400_000;

/**
 * What a deleted report adds to its mark's window bound: its window start, or no bound when ingest moved its window
 * back to end at its receive time (a clock ahead; a resend is re-dated to its own receive time, so it could merge).
 */
function markBoundOf(row: RawRow): number {
  return row.window_end_ms >= row.received_at ? MARK_UNBOUNDED : row.window_start_ms;
}

/**
 * The queries of tier maintenance (roll-up and retention) on SQLite, prepared once. Every write is a small
 * statement the caller runs inside a short transaction, so ingest never waits long for the write lock.
 */
export class TierStore {
  private readonly sqlite: Database.Database;
  private readonly statements;

  constructor(db: FleetDb) {
    this.sqlite = (db as FleetDb & { $client: Database.Database }).$client;
    const s = (sql: string) => this.sqlite.prepare(sql);
    this.statements = {
      cursor: s('SELECT value_ms AS v FROM telemetry_tier_state WHERE name = ?'),
      setCursor: s(
        'INSERT INTO telemetry_tier_state (name, value_ms) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value_ms = excluded.value_ms',
      ),
      touchedSourceDays: s(`SELECT DISTINCT model_name, model_version, role, scope, source_id,
          (hour_ms / ${DAY_MS}) * ${DAY_MS} AS day_ms
        FROM telemetry_aggregates WHERE updated_at > ? AND updated_at <= ?`),
      hoursOfDay: s(`SELECT reports, profile, feedback, feedback_reports FROM telemetry_aggregates
        WHERE model_name = ? AND model_version = ? AND role = ? AND scope = ? AND source_id = ?
          AND hour_ms >= ? AND hour_ms < ?`),
      upsertDay: s(`INSERT INTO telemetry_daily (model_name, model_version, role, scope, source_id, day_ms,
          spec_hash, reports, inferences, errors, profile, feedback, feedback_reports, updated_at)
        VALUES (@model_name, @model_version, @role, @scope, @source_id, @day_ms, @spec_hash, @reports, @inferences,
          @errors, @profile, @feedback, @feedback_reports, @updated_at)
        ON CONFLICT DO UPDATE SET spec_hash = excluded.spec_hash, reports = excluded.reports,
          inferences = excluded.inferences, errors = excluded.errors, profile = excluded.profile,
          feedback = excluded.feedback, feedback_reports = excluded.feedback_reports, updated_at = excluded.updated_at`),
      fleetHoursOfDay:
        s(`SELECT reports, profile, NULL AS feedback, 0 AS feedback_reports FROM telemetry_fleet
        WHERE model_name = ? AND model_version = ? AND role = ? AND period = 'hour' AND start_ms >= ? AND start_ms < ?`),
      upsertFleetDay:
        s(`INSERT INTO telemetry_fleet (model_name, model_version, role, period, start_ms, spec_hash,
          reports, inferences, errors, profile, updated_at)
        VALUES (@model_name, @model_version, @role, 'day', @day_ms, @spec_hash, @reports, @inferences, @errors,
          @profile, @updated_at)
        ON CONFLICT DO UPDATE SET spec_hash = excluded.spec_hash, reports = excluded.reports,
          inferences = excluded.inferences, errors = excluded.errors, profile = excluded.profile,
          updated_at = excluded.updated_at`),
      rawAfter:
        s(`SELECT id, scope, source_id, client_id, epoch, seq, window_start_ms, window_end_ms, received_at
        FROM telemetry_reports WHERE id > ? ORDER BY id LIMIT ?`),
      raiseMark: s(`INSERT INTO telemetry_client_marks (scope, source_id, client_id, epoch, pruned_seq,
          window_start_max_ms) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT DO UPDATE SET pruned_seq = max(pruned_seq, excluded.pruned_seq),
          window_start_max_ms = max(window_start_max_ms, excluded.window_start_max_ms)`),
      deleteMarks:
        s(`DELETE FROM telemetry_client_marks WHERE rowid IN (SELECT rowid FROM telemetry_client_marks
        WHERE window_start_max_ms < ? LIMIT ?)`),
      deleteRawRange: s('DELETE FROM telemetry_reports WHERE id >= ? AND id <= ?'),
      versions: s('SELECT DISTINCT model_name AS name, model_version AS version FROM telemetry_fleet'),
      deleteHours: s(`DELETE FROM telemetry_aggregates WHERE rowid IN (SELECT rowid FROM telemetry_aggregates
        WHERE model_name = ? AND model_version = ? AND hour_ms < ? LIMIT ?)`),
      deleteDays: s(`DELETE FROM telemetry_daily WHERE rowid IN (SELECT rowid FROM telemetry_daily
        WHERE model_name = ? AND model_version = ? AND day_ms < ? LIMIT ?)`),
      deleteFleet: s(`DELETE FROM telemetry_fleet WHERE rowid IN (SELECT rowid FROM telemetry_fleet
        WHERE period = ? AND start_ms < ? LIMIT ?)`),
    };
  }

  /** Runs `work` in one (short) write transaction. */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work).immediate();
  }

  cursor(name: string): number | undefined {
    return (this.statements.cursor.get(name) as { v: number } | undefined)?.v;
  }

  setCursor(name: string, valueMs: number): void {
    this.statements.setCursor.run(name, valueMs);
  }

  /** Source days with an hour merged into in `(afterMs, upToMs]`. */
  touchedSourceDays(afterMs: number, upToMs: number): SourceDay[] {
    return this.statements.touchedSourceDays.all(afterMs, upToMs) as SourceDay[];
  }

  hoursOfDay(day: SourceDay): HourRow[] {
    const { model_name, model_version, role, scope, source_id, day_ms } = day;
    return this.statements.hoursOfDay.all(
      model_name,
      model_version,
      role,
      scope,
      source_id,
      day_ms,
      day_ms + DAY_MS,
    ) as HourRow[];
  }

  fleetHoursOfDay(model: string, version: string, role: string, dayMs: number): HourRow[] {
    return this.statements.fleetHoursOfDay.all(model, version, role, dayMs, dayMs + DAY_MS) as HourRow[];
  }

  saveDay(row: SourceDay & DayFigures): void {
    this.statements.upsertDay.run(row);
  }

  saveFleetDay(
    row: { model_name: string; model_version: string; role: string; day_ms: number } & DayFigures,
  ): void {
    const { feedback: _f, feedback_reports: _n, ...fleet } = row;
    this.statements.upsertFleetDay.run(fleet);
  }

  /** The next raw reports after id `afterId`, oldest first. */
  rawAfter(afterId: number, limit: number): RawRow[] {
    return this.statements.rawAfter.all(afterId, limit) as RawRow[];
  }

  /**
   * Deletes raw reports `rows` (a run of consecutive ids) after raising each client epoch's mark to the highest
   * seq among them.
   */
  deleteRaw(rows: readonly RawRow[]): void {
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last) return;
    const marks = new Map<string, { row: RawRow; seq: number; windowStartMaxMs: number }>();
    for (const row of rows) {
      const key = `${row.scope}\u0000${row.source_id}\u0000${row.client_id}\u0000${row.epoch}`;
      const seen = marks.get(key) ?? { row, seq: 0, windowStartMaxMs: 0 };
      seen.seq = Math.max(seen.seq, row.seq);
      seen.windowStartMaxMs = Math.max(seen.windowStartMaxMs, markBoundOf(row));
      marks.set(key, seen);
    }
    for (const { row: m, seq, windowStartMaxMs } of marks.values())
      this.statements.raiseMark.run(m.scope, m.source_id, m.client_id, m.epoch, seq, windowStartMaxMs);
    this.statements.deleteRawRange.run(first.id, last.id);
  }

  /** Deletes up to `limit` client marks whose reports' windows all began before `beforeMs`; how many. */
  deleteMarks(beforeMs: number, limit: number): number {
    return this.statements.deleteMarks.run(beforeMs, limit).changes;
  }

  /** Model versions with a fleet-wide row (every version that has any tier row has one). */
  versions(): { name: string; version: string }[] {
    return this.statements.versions.all() as { name: string; version: string }[];
  }

  /** Deletes up to `limit` of a version's hourly rows before `beforeMs`; how many. */
  deleteHours(name: string, version: string, beforeMs: number, limit: number): number {
    return this.statements.deleteHours.run(name, version, beforeMs, limit).changes;
  }

  deleteDays(name: string, version: string, beforeMs: number, limit: number): number {
    return this.statements.deleteDays.run(name, version, beforeMs, limit).changes;
  }

  deleteFleet(period: 'hour' | 'day', beforeMs: number, limit: number): number {
    return this.statements.deleteFleet.run(period, beforeMs, limit).changes;
  }
}

/** A daily row's figures, merged from its hours. */
export interface DayFigures {
  spec_hash: string;
  reports: number;
  inferences: number;
  errors: number;
  profile: Uint8Array;
  feedback: string | null;
  feedback_reports: number;
  updated_at: number;
}
