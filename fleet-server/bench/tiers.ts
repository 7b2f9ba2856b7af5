// Telemetry tiers benchmark (issue 17).
// 1. Storage: BENCH_TIER_DEVICES devices send one realistic cls window report a minute for 4 days through the real
//    ingestor, with the maintenance pass every simulated hour (roll-up, packing of quiet hours, raw retention 48 h).
//    Bytes per device and day of each tier come from SQLite's dbstat (pages of the tables and their indexes).
// 2. Timeseries at 10^6 and 10^7 reports of history: HISTORY_DEVICES devices at one report a minute, filled fast by
//    direct batched inserts in the shape retention leaves (raw reports of the last 48 h, hourly rows of the last
//    30 days, daily rows of every day, the fleet-wide tier), every profile a real merge of realistic windows.
//    Measured in the same run: 60 points fleet-wide at 1 h steps and at 1 day steps (tiers), 60 points at 1 h
//    steps for a label selector (per-source hours), and the raw path: 60 points at 1 min steps.
// Usage: tsx bench/tiers.ts  (env: BENCH_TIER_DEVICES, BENCH_HISTORY_DEVICES, BENCH_HISTORY_REPORTS="1e6,1e7")
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db';
import { parseSelector } from '../src/labels/selector';
import { dbSpecResolver } from '../src/models/specs';
import { versionTimeseries } from '../src/monitoring/timeseries';
import { clsReport, clsWindowProfile, insertClsVersion } from '../src/telemetry/fixtures';
import { TelemetryIngestor } from '../src/telemetry/ingest';
import { DAY_MS, HOUR_MS, TierMaintenance } from '../src/telemetry/tiers';
import { fillHistory, tableBytes } from './tier-fill';

const TIER_DEVICES = Number(process.env.BENCH_TIER_DEVICES ?? 10);
const STORAGE_DAYS = 4;
const HISTORY_DEVICES = Number(process.env.BENCH_HISTORY_DEVICES ?? 100);
const HISTORIES = (process.env.BENCH_HISTORY_REPORTS ?? '1e6,1e7').split(',').map(Number);
const T0 = Date.UTC(2026, 10, 1);
const MIN = 60_000;

function timed<T>(work: () => T, runs = 5): { ms: number; value: T } {
  let value = work();
  const started = performance.now();
  for (let i = 0; i < runs; i++) value = work();
  return { ms: (performance.now() - started) / runs, value };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function storage(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-tiers-'));
  const database = openDatabase(dir);
  try {
    insertClsVersion(database.db, '1.0.0');
    const specs = dbSpecResolver(database.db);
    const clock = { now: T0 };
    const ingestor = new TelemetryIngestor({ db: database.db, specs, now: () => clock.now });
    const tiers = new TierMaintenance({
      db: database.db,
      specs,
      now: () => clock.now,
      retention: { rawMs: 48 * HOUR_MS, hourlyMs: 30 * DAY_MS, dailyMs: 400 * DAY_MS },
    });
    const windows = Array.from({ length: 32 }, (_, i) => clsWindowProfile(100 + i, 60));
    // As in production: reports arrive at their window's end, the maintenance pass runs every (simulated) minute.
    let passes = 0;
    for (let m = 0; m < STORAGE_DAYS * 1440; m++) {
      clock.now = T0 + (m + 1) * MIN;
      const pending = [];
      for (let d = 0; d < TIER_DEVICES; d++) {
        const report = clsReport(`dev-${d}`, m + 1, windows[(d * 7 + m) % windows.length]!, {
          startMs: T0 + m * MIN,
        });
        pending.push(ingestor.submit({ scope: 'dev', sourceId: `dev-${d}` }, report));
      }
      ingestor.flush();
      await Promise.all(pending);
      if (m % 60 === 59) {
        await tiers.runPass();
        passes++;
      }
    }
    const kb = (bytes: number, days: number) => (bytes / 1024 / (TIER_DEVICES * days)).toFixed(1);
    const bytes = (table: string) => tableBytes(database.sqlite, table);
    const tierTables = [
      'telemetry_aggregates',
      'telemetry_daily',
      'telemetry_fleet',
      'telemetry_client_marks',
    ];
    const tiersBytes = tierTables.map(bytes).reduce((a, b) => a + b, 0);
    const raw = bytes('telemetry_reports');
    console.log(
      `# ${TIER_DEVICES} devices × ${STORAGE_DAYS} days at 1 report/min (60 inferences each) through the ingestor, ` +
        `a maintenance pass every hour (${passes}); SQLite pages incl. indexes and free space in them (dbstat); load ${load()}`,
    );
    console.log(`server.storage.raw_kb_per_device_day: ${kb(raw, 2)} kB (the last 48 h: --raw-retention)`);
    console.log(
      `server.storage.hourly_kb_per_device_day: ${kb(bytes('telemetry_aggregates'), STORAGE_DAYS)} kB (kept --hourly-retention, 30 d)`,
    );
    console.log(
      `server.storage.daily_kb_per_device_day: ${kb(bytes('telemetry_daily'), STORAGE_DAYS)} kB (kept --daily-retention, 400 d)`,
    );
    console.log(
      `server.storage.fleet_kb_per_device_day: ${kb(bytes('telemetry_fleet'), STORAGE_DAYS)} kB (fleet-wide hours and days, shared by the ${TIER_DEVICES} devices)`,
    );
    console.log(
      `server.storage.kb_per_device_day: ${kb(tiersBytes, STORAGE_DAYS)} kB (past raw retention: every tier; ` +
        `ratio to raw ${(tiersBytes / STORAGE_DAYS / (raw / 2)).toFixed(3)})`,
    );
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeseries(reports: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-history-'));
  const database = openDatabase(dir);
  try {
    insertClsVersion(database.db, '1.0.0');
    const specs = dbSpecResolver(database.db);
    const days = Math.ceil(reports / (HISTORY_DEVICES * 1440));
    const nowMs = T0 + days * DAY_MS;
    const started = performance.now();
    const filled = fillHistory(database, { devices: HISTORY_DEVICES, days, nowMs });
    const fillS = (performance.now() - started) / 1000;
    const size = database.sqlite.pragma('page_count', { simple: true }) as number;
    const label = reports >= 1e7 ? '1e7' : reports >= 1e6 ? '1e6' : String(reports);
    console.log(
      `# ${label} reports of history: ${HISTORY_DEVICES} devices × ${days} days at 1/min; stored ${filled.raw} raw (48 h), ` +
        `${filled.hours} hourly, ${filled.days} daily, ${filled.fleet} fleet rows; ${((size * 4096) / 1e9).toFixed(2)} GB; filled in ${fillS.toFixed(0)} s; load ${load()}`,
    );
    const q = { modelName: 'cls', version: '1.0.0', role: 'active' as const, rowBudget: 1_000_000 };
    const hourly = timed(() =>
      versionTimeseries(database.db, specs, {
        ...q,
        fromMs: nowMs - 60 * HOUR_MS,
        toMs: nowMs,
        stepMs: HOUR_MS,
      }),
    );
    check(hourly.value.points, 60, HISTORY_DEVICES * 60 * 60);
    console.log(
      `server.monitoring.timeseries_60pts_ms.${label}: ${hourly.ms.toFixed(1)} ms (fleet-wide, 1 h steps)`,
    );
    const dailyFrom = Math.max(T0, nowMs - 60 * DAY_MS);
    const daily = timed(() =>
      versionTimeseries(database.db, specs, { ...q, fromMs: dailyFrom, toMs: nowMs, stepMs: DAY_MS }),
    );
    console.log(
      `server.monitoring.timeseries_daily_${daily.value.points.length}pts_ms.${label}: ${daily.ms.toFixed(1)} ms (fleet-wide, 1 day steps)`,
    );
    const selector = parseSelector('line=a');
    if (!selector.ok) throw new Error(selector.error.message);
    const sliced = timed(
      () =>
        versionTimeseries(database.db, specs, {
          ...q,
          fromMs: nowMs - 60 * HOUR_MS,
          toMs: nowMs,
          stepMs: HOUR_MS,
          selector: selector.value,
        }),
      2,
    );
    console.log(
      `server.monitoring.timeseries_selector_60pts_ms.${label}: ${sliced.ms.toFixed(1)} ms (half the devices, per-source hours: ${sliced.value.rowsRead} rows)`,
    );
    const raw = timed(
      () =>
        versionTimeseries(database.db, specs, { ...q, fromMs: nowMs - HOUR_MS, toMs: nowMs, stepMs: MIN }),
      2,
    );
    check(raw.value.points, 60, HISTORY_DEVICES * 60);
    console.log(
      `server.monitoring.timeseries_raw_60pts_ms.${label}: ${raw.ms.toFixed(1)} ms (fleet-wide, 1 min steps: ${raw.value.rowsRead} raw reports merged)`,
    );
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The answer must hold every stored inference of its range, or the timing measured nothing. */
function check(points: { reports: number; inferences?: number }[], count: number, reports: number): void {
  if (points.length !== count) throw new Error(`expected ${count} points, got ${points.length}`);
  const got = points.reduce((n, p) => n + p.reports, 0);
  if (got !== reports) throw new Error(`expected ${reports} reports in the points, got ${got}`);
}

await storage();
for (const n of HISTORIES) await timeseries(n);
