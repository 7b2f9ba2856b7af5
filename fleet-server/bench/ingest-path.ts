// Cost of the ingest path alone (no broker, one thread): parse, check, store, merge and ack N report payloads.
// The CPU figure is steadier than bench/ingest.ts's rates on a busy machine.
// Usage: npx tsx bench/ingest-path.ts  (env: BENCH_REPORTS, BENCH_BATCH)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TELEMETRY_BYTES } from '@edgefleet/shared';
import { openDatabase } from '../src/db';
import { dbSpecResolver } from '../src/models/specs';
import { clsReport, clsWindowProfile, insertClsVersion } from '../src/telemetry/fixtures';
import { TelemetryIngestor } from '../src/telemetry/ingest';
import { parseReportEnvelope } from '../src/telemetry/report-envelope';

const CLIENTS = 50;
const BATCH = Number(process.env.BENCH_BATCH ?? 2000); // the ingestor's default
const TOTAL = Number(process.env.BENCH_REPORTS ?? 20_000);

const dir = mkdtempSync(join(tmpdir(), 'ef-bench-path-'));
const database = openDatabase(dir);
insertClsVersion(database.db, '1.0.0');
const ingestor = new TelemetryIngestor({
  db: database.db,
  specs: dbSpecResolver(database.db),
  maxBatchReports: BATCH,
});
const templates = Array.from({ length: 64 }, (_, i) =>
  JSON.stringify({ ...clsReport('__CLIENT__', 0, clsWindowProfile(1_000 + i, 60)), seq: '__SEQ__' }),
);
const payloads = Array.from({ length: TOTAL }, (_, n) => {
  const client = `dev-${n % CLIENTS}`;
  const seq = 1 + Math.floor(n / CLIENTS);
  const text = templates[seq % templates.length]!.replaceAll('"__CLIENT__"', JSON.stringify(client));
  return Buffer.from(text.replace('"__SEQ__"', String(seq)));
});

const started = performance.now();
const cpu0 = process.cpuUsage();
const outcomes: Promise<unknown>[] = [];
for (let n = 0; n < TOTAL; n++) {
  const report = parseReportEnvelope(payloads[n]!, { maxBytes: MAX_TELEMETRY_BYTES });
  if (!report.ok) throw new Error(report.error.message);
  outcomes.push(ingestor.submit({ scope: 'dev', sourceId: report.value.clientId }, report.value));
  if (n % BATCH === BATCH - 1) ingestor.flush();
}
ingestor.flush();
await Promise.all(outcomes);
const us = ((performance.now() - started) * 1000) / TOTAL;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / TOTAL;
console.log(`# ${TOTAL} reports, ${ingestor.stats.stored} stored, ${ingestor.stats.merged} merged`);
console.log(`server.ingest.path_us_per_report: ${us.toFixed(1)} µs`);
console.log(`server.ingest.path_cpu_us_per_report: ${cpuUs.toFixed(1)} µs`);
ingestor.close();
database.close();
rmSync(dir, { recursive: true, force: true });
