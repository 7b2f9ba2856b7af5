import { Counter, Gauge, type Registry } from 'prom-client';
import type { DeviceSessionStats } from '../device-state/device-sessions';
import type { IngestStats } from '../telemetry/ingest';
import type { BrokerStats, EmbeddedBroker } from './broker';

/** Sources of the MQTT and ingest figures; read at scrape time. */
export interface MqttMetricSources {
  broker: EmbeddedBroker | null;
  ingest: IngestStats;
  sessions: DeviceSessionStats;
}

/** A counter whose value is read from a stats object when Prometheus scrapes. */
function countFrom<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => [Partial<Record<L, string>>, number][],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) if (value > 0) this.inc(labels as Record<L, string>, value);
    },
  });
}

/** Registers broker, device session and telemetry ingest figures on the server's registry. */
export function registerMqttMetrics(registry: Registry, sources: MqttMetricSources): void {
  const { broker, ingest, sessions } = sources;
  new Gauge({
    name: 'edgefleet_mqtt_connected_clients',
    help: 'Clients connected to the embedded broker',
    registers: [registry],
    collect() {
      this.set(broker?.aedes.connectedClients ?? 0);
    },
  });
  const brokerKeys: (keyof BrokerStats)[] = [
    'connectsRejected',
    'publishesDenied',
    'subscribesDenied',
    'slowConsumersDropped',
    'oversizedPackets',
    'clientErrors',
  ];
  countFrom(
    registry,
    'edgefleet_mqtt_refusals_total',
    'Connections, publishes and subscribes the broker refused or dropped',
    ['kind'],
    () => (broker ? brokerKeys.map((k) => [{ kind: k }, broker.stats[k]]) : []),
  );
  countFrom(registry, 'edgefleet_ingest_reports_total', 'Telemetry reports by outcome', ['outcome'], () => [
    [{ outcome: 'received' }, ingest.received],
    [{ outcome: 'stored' }, ingest.stored],
    [{ outcome: 'duplicate' }, ingest.duplicates],
    [{ outcome: 'merged' }, ingest.merged],
    [{ outcome: 'spec_mismatch' }, ingest.specMismatches],
    [{ outcome: 'unknown_version' }, ingest.unknownVersions],
  ]);
  countFrom(
    registry,
    'edgefleet_ingest_rejected_total',
    'Telemetry reports refused unstored, by reason',
    ['reason'],
    () => Object.entries(ingest.rejected).map(([reason, n]) => [{ reason }, n ?? 0]),
  );
  countFrom(registry, 'edgefleet_ingest_batches_total', 'Telemetry write transactions', [], () => [
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
  countFrom(
    registry,
    'edgefleet_device_messages_total',
    'Presence and reported messages by outcome',
    ['outcome'],
    () => [
      [{ outcome: 'presence_applied' }, sessions.presenceApplied],
      [{ outcome: 'presence_stale' }, sessions.presenceStale],
      [{ outcome: 'reported_applied' }, sessions.reportsApplied],
      [{ outcome: 'desired_resent' }, sessions.desiredResent],
      [{ outcome: 'desired_published' }, sessions.desiredPublished],
      ...Object.entries(sessions.rejected).map(([reason, n]): [{ outcome: string }, number] => [
        { outcome: `rejected_${reason}` },
        n,
      ]),
    ],
  );
}
