import {
  type Ack,
  appTopicFilter,
  deviceTopic,
  deviceTopicFilter,
  MAX_TELEMETRY_BYTES,
  parseTopic,
} from '@edgefleet/shared';
import pino, { type Logger } from 'pino';
import type { FleetLink } from '../mqtt/link';
import { coalesceAcks } from './acks';
import type { TelemetryIngestor } from './ingest';
import { parseReportEnvelope } from './report-envelope';

/** Options of {@link startMqttTelemetry}. */
export interface MqttTelemetryOptions {
  link: FleetLink;
  fleet: string;
  ingestor: TelemetryIngestor;
  logger?: Logger;
}

/**
 * Reads telemetry from `…/dev/+/telemetry` and `…/app/+/telemetry` (shared subscriptions where the broker
 * has them), validates each payload with the shared schema, checks that a device reports under its own id,
 * hands it to the ingestor and, once stored, publishes `…/dev/{id}/ack` naming the exact seqs stored (and
 * the highest stored seq) — one ack per device and epoch per batch (more when the seqs do not fit one).
 * Resolves with a function that stops it.
 */
export async function startMqttTelemetry(options: MqttTelemetryOptions): Promise<() => Promise<void>> {
  const { link, fleet, ingestor } = options;
  const log = options.logger ?? pino({ level: 'silent' });
  const acks = new AckCoalescer((deviceId, ack) =>
    link
      .publish(deviceTopic(fleet, deviceId, 'ack'), JSON.stringify(ack), { qos: 1 })
      .catch((err: unknown) => {
        log.warn({ err, deviceId }, 'telemetry ack publish failed; the device will resend');
      }),
  );

  // Synchronous unless the ingestor is full (a promise per message costs more than the check); a failure
  // still comes back as a rejected promise, as links expect of a handler.
  const onTelemetry = (topic: string, payload: Buffer): Promise<void> | undefined => {
    try {
      return receiveTelemetry(topic, payload);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const receiveTelemetry = (topic: string, payload: Buffer): Promise<void> | undefined => {
    const parsedTopic = parseTopic(topic);
    if (!parsedTopic.ok || parsedTopic.value.fleet !== fleet || parsedTopic.value.kind !== 'telemetry') {
      ingestor.countRejected('invalid');
      return;
    }
    const report = parseReportEnvelope(payload, { maxBytes: MAX_TELEMETRY_BYTES });
    if (!report.ok) {
      ingestor.countRejected(report.error.kind);
      log.debug({ topic, error: report.error }, 'telemetry payload rejected');
      return;
    }
    const t = parsedTopic.value;
    if (t.scope === 'dev' && report.value.clientId !== t.deviceId) {
      ingestor.countRejected('client_mismatch');
      log.warn(
        { deviceId: t.deviceId, clientId: report.value.clientId },
        'telemetry under another client id',
      );
      return;
    }
    const source =
      t.scope === 'dev'
        ? { scope: 'dev' as const, sourceId: t.deviceId }
        : { scope: 'app' as const, sourceId: t.appId };
    const done = ingestor.submit(source, report.value);
    // App telemetry over MQTT has no ack topic; browsers get their acks over HTTP.
    if (t.scope === 'dev') {
      const deviceId = t.deviceId;
      done.then((outcome) => {
        if (outcome.status !== 'rejected') acks.add(deviceId, outcome.ack);
      });
    }
    return ingestor.writable ? undefined : ingestor.whenWritable();
  };

  const stops = await Promise.all([
    link.subscribe(deviceTopicFilter(fleet, 'telemetry'), onTelemetry, { shared: true }),
    link.subscribe(appTopicFilter(fleet, 'telemetry'), onTelemetry, { shared: true }),
  ]);
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

/**
 * Collects the acks of one tick and sends them per (device, epoch) once: the exact seqs stored (or stored
 * before), split over as many acks as {@link coalesceAcks} needs, each with the highest stored seq.
 */
class AckCoalescer {
  private pending = new Map<string, { deviceId: string; acks: Ack[] }>();
  private scheduled = false;

  constructor(private readonly send: (deviceId: string, ack: Ack) => void) {}

  add(deviceId: string, ack: Ack): void {
    const key = `${deviceId}\u0000${ack.epoch}`;
    const current = this.pending.get(key);
    if (current) current.acks.push(ack);
    else this.pending.set(key, { deviceId, acks: [ack] });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const { deviceId, acks } of pending.values()) {
      for (const ack of coalesceAcks(acks)) this.send(deviceId, ack);
    }
  }
}
