import { Gauge, type Registry } from 'prom-client';
import { counterFrom } from '../metrics';
import type { BrokerStats, EmbeddedBroker } from './broker';

/** Registers the embedded broker's figures on the server's registry (zeros in external broker mode). */
export function registerBrokerMetrics(registry: Registry, broker: EmbeddedBroker | null): void {
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
  counterFrom(
    registry,
    'edgefleet_mqtt_refusals_total',
    'Connections, publishes and subscribes the broker refused or dropped',
    ['kind'],
    () => (broker ? brokerKeys.map((k) => [{ kind: k }, broker.stats[k]]) : []),
  );
}
