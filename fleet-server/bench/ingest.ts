// Ingest benchmark: N simulated devices publish realistic cls-model window reports through the embedded
// broker; measured (1) raw aedes pass-through to a plain subscriber and (2) reports stored in SQLite and
// acknowledged on …/ack, with the same payloads and publishers in the same run.
// Usage: pnpm bench  (env: BENCH_CLIENTS, BENCH_REPORTS_PER_CLIENT, BENCH_WINDOW)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db';
import { dbSpecResolver } from '../src/models/specs';
import { startBroker } from '../src/mqtt/broker';
import { createEmbeddedLink } from '../src/mqtt/link';
import { staticBrokerAuth } from '../src/mqtt/principal';
import { connectClient } from '../src/mqtt/test-clients';
import { clsReport, clsWindowProfile, insertClsVersion } from '../src/telemetry/fixtures';
import { TelemetryIngestor } from '../src/telemetry/ingest';
import { startMqttTelemetry } from '../src/telemetry/mqtt-ingest';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const REPORTS_PER_CLIENT = Number(process.env.BENCH_REPORTS_PER_CLIENT ?? 400);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 32);
const TOTAL = CLIENTS * REPORTS_PER_CLIENT;
const fleet = 'bench';
const deadline = setTimeout(() => {
  console.error('bench: exceeded 60 s, aborting');
  process.exit(2);
}, 60_000);
deadline.unref();

/** Distinct realistic reports with placeholders for client id, seq and window. */
function templates(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const report = clsReport('__CLIENT__', 0, clsWindowProfile(1_000 + i, 60));
    return JSON.stringify({ ...report, seq: '__SEQ__' });
  });
}

type FromWorker = { type: 'ready' | 'prepared' | 'published' | 'acked' | 'closed' };

function nextMessage(worker: Worker, type: FromWorker['type']): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type !== type) return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bench-'));
  const database = openDatabase(dir);
  insertClsVersion(database.db, '1.0.0');
  const ids = Array.from({ length: CLIENTS }, (_, i) => `dev-${i}`);
  const devices = Object.fromEntries(ids.map((id) => [id, `token-${id}`]));
  const broker = await startBroker({
    fleet,
    auth: staticBrokerAuth({ devices, server: { username: 'server', password: 'server' } }),
  });
  const port = broker.tcpPort!;
  const payloadTemplates = templates(64);
  const sizeBytes = Buffer.byteLength(payloadTemplates[0]!);

  // Two workers share the clients (this machine has 2 cores; the broker and ingestion get the main thread).
  const workers = [0, 1].map(
    (w) =>
      new Worker(new URL('./publisher.mjs', import.meta.url), {
        workerData: {
          port,
          fleet,
          clients: ids.filter((_, i) => i % 2 === w),
          templates: payloadTemplates,
          reportsPerClient: REPORTS_PER_CLIENT,
          window: WINDOW,
        },
      }),
  );
  await Promise.all(workers.map((w) => nextMessage(w, 'ready')));

  const runPhase = async (firstSeq: number, waitForAcks: boolean, done: Promise<void> | null) => {
    await Promise.all(
      workers.map((w) => {
        const prepared = nextMessage(w, 'prepared');
        w.postMessage({ type: 'prepare', firstSeq });
        return prepared;
      }),
    );
    const started = performance.now();
    const finished = workers.map((w) => nextMessage(w, waitForAcks ? 'acked' : 'published'));
    for (const w of workers) w.postMessage({ type: 'run', firstSeq, waitForAcks });
    await Promise.all([...finished, ...(done ? [done] : [])]);
    return (performance.now() - started) / 1000;
  };

  // Phase 1: raw pass-through, publishers → broker → one plain subscriber.
  const subscriber = await connectClient(port, {
    clientId: 'raw-subscriber',
    username: 'server',
    password: 'server',
  });
  await subscriber.subscribeAsync(`ef/v1/${fleet}/dev/+/telemetry`, { qos: 1 });
  let received = 0;
  const allReceived = new Promise<void>((resolve) => {
    subscriber.on('message', () => {
      if (++received === TOTAL) resolve();
    });
  });
  const rawS = await runPhase(1, false, allReceived);
  await subscriber.endAsync(true);

  // Phase 2: the same publishers and payloads (new seqs) into SQLite, acked after commit.
  const ingestor = new TelemetryIngestor({ db: database.db, specs: dbSpecResolver(database.db) });
  const stop = await startMqttTelemetry({ link: createEmbeddedLink(broker.aedes), fleet, ingestor });
  const ingestS = await runPhase(1_000_000, true, null);

  const stored = database.sqlite.prepare('select count(*) as n from telemetry_reports').get() as {
    n: number;
  };
  const aggregated = database.db.get<{ n: number }>(sql`select sum(reports) as n from telemetry_aggregates`);
  const rawRate = TOTAL / rawS;
  const ingestRate = TOTAL / ingestS;

  console.log(
    `# ${CLIENTS} clients × ${REPORTS_PER_CLIENT} reports of ${sizeBytes} bytes, QoS 1, window ${WINDOW}`,
  );
  console.log(
    `# stored ${stored.n} rows, ${aggregated.n} reports merged, ${ingestor.stats.batches} batches, rejected ${JSON.stringify(ingestor.stats.rejected)}`,
  );
  console.log(`server.ingest.reports_per_s: ${Math.round(ingestRate)} /s`);
  console.log(`server.broker.raw_msgs_per_s: ${Math.round(rawRate)} /s`);
  console.log(`server.ingest.ratio_to_broker: ${(ingestRate / rawRate).toFixed(2)}`);
  if (stored.n !== TOTAL || aggregated.n !== TOTAL) {
    console.error(`bench: expected ${TOTAL} stored and merged reports`);
    process.exitCode = 1;
  }

  await Promise.all(
    workers.map((w) => {
      const closed = nextMessage(w, 'closed');
      w.postMessage({ type: 'close' });
      return closed;
    }),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  await stop();
  ingestor.close();
  await broker.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
