// Fills a database fast with synthetic telemetry history in the shape retention leaves it (bench/tiers.ts): tier
// rows deflated as the ingestor and the roll-up write them.

import { Profile } from '@edgefleet/shared';
import type Database from 'better-sqlite3';
import type { FleetDatabase } from '../src/db';
import { insertSimDevices } from '../src/rollouts/sim-fleet';
import { CLS_SPEC, clsWindowProfile } from '../src/telemetry/fixtures';
import { packProfile } from '../src/telemetry/profile-codec';

const MIN = 60_000;
const HOUR_MS = 60 * MIN;
const DAY_MS = 24 * HOUR_MS;
const RAW_MS = 48 * HOUR_MS;
const HOURLY_DAYS = 30;

/** Bytes of a table and its indexes (SQLite's dbstat). */
export function tableBytes(sqlite: Database.Database, table: string): number {
  const row = sqlite
    .prepare(
      `SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat WHERE name = ? OR name IN
        (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?)`,
    )
    .get(table, table) as { bytes: number };
  return row.bytes;
}

function merged(profiles: Profile[]): Profile {
  const into = new Profile(CLS_SPEC);
  for (const p of profiles) into.merge(p);
  return into;
}

/** Runs `rows` inserts in transactions of 5000. */
function batched(sqlite: Database.Database, total: number, insert: (i: number) => void): void {
  const chunk = sqlite.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert(i);
  });
  for (let i = 0; i < total; i += 5000) chunk(i, Math.min(total, i + 5000));
}

/**
 * `devices` devices (half `line=a`, half `line=b`) at one cls report a minute for `days` days up to `nowMs`: raw
 * reports of the last 48 h, per-source hours of the last 30 days, per-source days and the fleet-wide tier for all.
 */
export function fillHistory(
  database: FleetDatabase,
  options: { devices: number; days: number; nowMs: number },
): { raw: number; hours: number; days: number; fleet: number } {
  const { sqlite } = database;
  const { devices, days, nowMs } = options;
  const half = Math.ceil(devices / 2);
  const ids = [
    ...insertSimDevices(database.db, 'a', half, { line: 'a' }, nowMs),
    ...insertSimDevices(database.db, 'b', devices - half, { line: 'b' }, nowMs),
  ];
  const windows = Array.from({ length: 32 }, (_, i) => clsWindowProfile(1000 + i, 60));
  const windowTexts = windows.map((w) => JSON.stringify(w.toJSON()));
  const hours = Array.from({ length: 8 }, (_, v) =>
    merged(Array.from({ length: 60 }, (_, i) => windows[(v * 5 + i) % windows.length]!)),
  );
  const hourTexts = hours.map((h) => packProfile(JSON.stringify(h.toJSON())));
  const day = merged(Array.from({ length: 24 }, (_, i) => hours[i % hours.length]!));
  const dayText = packProfile(JSON.stringify(day.toJSON()));
  const fleetHour = merged(Array.from({ length: devices }, (_, i) => hours[i % hours.length]!));
  const fleetHourText = packProfile(JSON.stringify(fleetHour.toJSON()));
  const fleetDay = merged(Array.from({ length: 24 }, () => fleetHour));
  const fleetDayText = packProfile(JSON.stringify(fleetDay.toJSON()));
  const specHash = windows[0]!.specHash;

  const rawStart = nowMs - RAW_MS;
  const rawWindows = Math.min(days * 1440, RAW_MS / MIN);
  const insertRaw = sqlite.prepare(`INSERT INTO telemetry_reports (scope, source_id, client_id, epoch, seq,
      model_name, model_version, role, window_start_ms, window_end_ms, spec_hash, status, inferences, errors, runtime,
      overflow, software, feedback, profile, received_at)
    VALUES ('dev', ?, ?, 1, ?, 'cls', '1.0.0', 'active', ?, ?, ?, 'merged', ?, ?, '{"backend":"cpu","threads":1}',
      '{"mergedWindows":0,"droppedReports":0,"droppedInferences":0}', NULL, NULL, ?, ?)`);
  batched(sqlite, rawWindows * devices, (i) => {
    const m = Math.floor(i / devices);
    const d = i % devices;
    const w = (d * 7 + m) % windows.length;
    const startMs = rawStart + m * MIN;
    insertRaw.run(
      ids[d],
      ids[d],
      m + 1,
      startMs,
      startMs + MIN,
      specHash,
      windows[w]!.inferences,
      windows[w]!.errorCount,
      windowTexts[w],
      startMs + MIN,
    );
  });

  const hourCount = Math.min(days, HOURLY_DAYS) * 24;
  const firstHour = nowMs - hourCount * HOUR_MS;
  const insertHour = sqlite.prepare(`INSERT INTO telemetry_aggregates (model_name, model_version, role, scope,
      source_id, hour_ms, spec_hash, reports, inferences, errors, profile, feedback, feedback_reports, updated_at)
    VALUES ('cls', '1.0.0', 'active', 'dev', ?, ?, ?, 60, ?, ?, ?, NULL, 0, ?)`);
  batched(sqlite, hourCount * devices, (i) => {
    const h = Math.floor(i / devices);
    const d = i % devices;
    const v = (d + h) % hours.length;
    const hourMs = firstHour + h * HOUR_MS;
    insertHour.run(
      ids[d],
      hourMs,
      specHash,
      hours[v]!.inferences,
      hours[v]!.errorCount,
      hourTexts[v],
      hourMs + HOUR_MS,
    );
  });
  const firstDay = nowMs - days * DAY_MS;
  const insertDay =
    sqlite.prepare(`INSERT INTO telemetry_daily (model_name, model_version, role, scope, source_id,
      day_ms, spec_hash, reports, inferences, errors, profile, feedback, feedback_reports, updated_at)
    VALUES ('cls', '1.0.0', 'active', 'dev', ?, ?, ?, 1440, ?, ?, ?, NULL, 0, ?)`);
  batched(sqlite, days * devices, (i) => {
    const dayMs = firstDay + Math.floor(i / devices) * DAY_MS;
    insertDay.run(ids[i % devices], dayMs, specHash, day.inferences, day.errorCount, dayText, dayMs + DAY_MS);
  });
  const insertFleet =
    sqlite.prepare(`INSERT INTO telemetry_fleet (model_name, model_version, role, period, start_ms,
      spec_hash, reports, inferences, errors, profile, updated_at)
    VALUES ('cls', '1.0.0', 'active', ?, ?, ?, ?, ?, ?, ?, ?)`);
  batched(sqlite, hourCount, (h) => {
    const hourMs = firstHour + h * HOUR_MS;
    insertFleet.run(
      'hour',
      hourMs,
      specHash,
      devices * 60,
      fleetHour.inferences,
      fleetHour.errorCount,
      fleetHourText,
      hourMs,
    );
  });
  batched(sqlite, days, (i) => {
    const dayMs = firstDay + i * DAY_MS;
    insertFleet.run(
      'day',
      dayMs,
      specHash,
      devices * 1440,
      fleetDay.inferences,
      fleetDay.errorCount,
      fleetDayText,
      dayMs,
    );
  });
  const cursor = sqlite.prepare('INSERT OR REPLACE INTO telemetry_tier_state (name, value_ms) VALUES (?, ?)');
  cursor.run('daily_rollup', nowMs);
  cursor.run('raw_deleted_before', rawStart - 10 * MIN);
  return {
    raw: rawWindows * devices,
    hours: hourCount * devices,
    days: days * devices,
    fleet: hourCount + days,
  };
}
