import { Gauge, type Registry } from 'prom-client';
import { counterFrom } from '../metrics';
import type { IngestStats } from './ingest';

/** Registers the ingest figures on the server's registry; read at scrape time. */
export function registerIngestMetrics(registry: Registry, ingest: IngestStats): void {
  counterFrom(registry, 'edgefleet_ingest_reports_total', 'Telemetry reports by outcome', ['outcome'], () => [
    [{ outcome: 'received' }, ingest.received],
    [{ outcome: 'stored' }, ingest.stored],
    [{ outcome: 'duplicate' }, ingest.duplicates],
    [{ outcome: 'merged' }, ingest.merged],
    [{ outcome: 'spec_mismatch' }, ingest.specMismatches],
    [{ outcome: 'unknown_version' }, ingest.unknownVersions],
    [{ outcome: 'expired' }, ingest.expired],
    [{ outcome: 'duplicate_past_mark' }, ingest.pastMark],
  ]);
  counterFrom(
    registry,
    'edgefleet_ingest_rejected_total',
    'Telemetry reports refused unstored, by reason',
    ['reason'],
    () => Object.entries(ingest.rejected).map(([reason, n]) => [{ reason }, n ?? 0]),
  );
  counterFrom(registry, 'edgefleet_ingest_batches_total', 'Telemetry write transactions', [], () => [
    [{}, ingest.batches],
  ]);
  new Gauge({
    name: 'edgefleet_ingest_last_batch_seconds',
    help: 'Duration of the latest telemetry write transaction',
    registers: [registry],
    collect() {
      this.set(ingest.lastBatchMs / 1000);
    },
  });
}
