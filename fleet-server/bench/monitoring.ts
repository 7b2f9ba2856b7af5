// Monitoring benchmark: the dashboard's timeseries query over a stored fleet's telemetry. N devices × M one-minute
// windows of realistic cls reports are ingested through the real ingestor into SQLite; then measured, in the same
// run: the existing whole-range metrics query (the raw baseline: one merge of the hourly aggregates), the
// timeseries from raw reports (stepMs 60 s) and from hourly aggregates (stepMs 1 h), and the alert evaluation.
// Usage: tsx bench/monitoring.ts  (env: BENCH_DEVICES, BENCH_WINDOWS)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertEvaluator } from '../src/alerts/evaluator';
import { openDatabase } from '../src/db';
import { EventBus } from '../src/events/bus';
import { createLogger } from '../src/logging';
import { dbSpecResolver } from '../src/models/specs';
import { versionTimeseries } from '../src/monitoring/timeseries';
import { clsReport, clsWindowProfile, insertClsVersion } from '../src/telemetry/fixtures';
import { TelemetryIngestor } from '../src/telemetry/ingest';
import { versionMetrics } from '../src/telemetry/query';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 60);
const T0 = Date.UTC(2026, 10, 23, 10, 0);
const MIN = 60_000;

function timed<T>(work: () => T, runs = 3): { ms: number; value: T } {
  let value = work();
  const started = performance.now();
  for (let i = 0; i < runs; i++) value = work();
  return { ms: (performance.now() - started) / runs, value };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-monitoring-'));
  const database = openDatabase(dir);
  try {
    insertClsVersion(database.db, '1.0.0');
    const specs = dbSpecResolver(database.db);
    const ingestor = new TelemetryIngestor({ db: database.db, specs, now: () => T0 + WINDOWS * MIN });
    const profiles = Array.from({ length: 16 }, (_, i) => clsWindowProfile(100 + i, 60));
    const pending: Promise<unknown>[] = [];
    for (let d = 0; d < DEVICES; d++) {
      for (let w = 0; w < WINDOWS; w++) {
        const report = clsReport(`dev-${d}`, w + 1, profiles[(d + w) % profiles.length]!, {
          startMs: T0 + w * MIN,
        });
        pending.push(ingestor.submit({ scope: 'dev', sourceId: `dev-${d}` }, report));
      }
    }
    ingestor.flush();
    await Promise.all(pending);
    const rows = DEVICES * WINDOWS;
    const range = {
      modelName: 'cls',
      version: '1.0.0',
      role: 'active' as const,
      fromMs: T0,
      toMs: T0 + WINDOWS * MIN,
    };

    const baseline = timed(() => versionMetrics(database.db, specs, range));
    console.log(
      `# ${DEVICES} devices, ${rows} reports of 1 min windows; hourly aggregates: ${DEVICES} rows/h`,
    );
    console.log(`server.monitoring.metrics_range_ms: ${baseline.ms.toFixed(1)} ms`);
    const raw = timed(() =>
      versionTimeseries(database.db, specs, { ...range, stepMs: MIN, rowBudget: 1_000_000 }),
    );
    console.log(`server.monitoring.timeseries_raw_${raw.value.points.length}pts_ms: ${raw.ms.toFixed(1)} ms`);
    console.log(`server.monitoring.timeseries_raw_per_report_us: ${((raw.ms * 1000) / rows).toFixed(1)} us`);
    const budgeted = timed(() =>
      versionTimeseries(database.db, specs, { ...range, stepMs: MIN, rowBudget: 2_000 }),
    );
    console.log(
      `server.monitoring.timeseries_budget2000_ms: ${budgeted.ms.toFixed(1)} ms (truncated=${budgeted.value.truncated})`,
    );
    const hourly = timed(() =>
      versionTimeseries(database.db, specs, {
        ...range,
        fromMs: T0 - 23 * 3_600_000,
        toMs: T0 + 3_600_000,
        stepMs: 3_600_000,
        rowBudget: 1_000_000,
      }),
    );
    console.log(`server.monitoring.timeseries_hourly_24pts_ms: ${hourly.ms.toFixed(1)} ms`);
    const evaluator = new AlertEvaluator({
      db: database.db,
      specs,
      bus: new EventBus(),
      logger: createLogger('silent'),
      now: () => T0 + WINDOWS * MIN,
      config: {
        alertTickMs: 0,
        alertSilentMs: 300_000,
        alertDriftWindowMs: 3_600_000,
        alertDriftPsi: 0.25,
        alertDriftMinInferences: 500,
        timeseriesRowBudget: 50_000,
      },
    });
    const evaluation = timed(() => evaluator.evaluate());
    console.log(
      `server.alerts.evaluation_ms: ${evaluation.ms.toFixed(1)} ms (${DEVICES} devices, 1 version)`,
    );
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
