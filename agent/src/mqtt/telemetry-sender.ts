import { ackSchema, parseMessage } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { Outbox } from '../outbox/outbox';
import type { MqttLink } from './link';

/**
 * Sends outbox reports at QoS 1 with at most `maxInFlight` unacknowledged, deletes them on the
 * server's ack, and resends what was in flight after a reconnect (the server drops duplicates).
 */
export class TelemetrySender {
  private inFlight = new Set<string>();
  private sentAtMs = new Map<string, number>();
  sent = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly link: MqttLink,
    private readonly logger: Logger,
    public maxInFlight: number,
    private readonly resendAfterMs = 30_000,
  ) {}

  /** Sends what fits in the in-flight window. */
  pump(): void {
    if (!this.link.connected) return;
    const now = Date.now();
    for (const [key, at] of this.sentAtMs) {
      if (now - at > this.resendAfterMs) {
        this.inFlight.delete(key);
        this.sentAtMs.delete(key);
      }
    }
    if (this.inFlight.size >= this.maxInFlight) return;
    for (const report of this.outbox.pending(this.maxInFlight + this.inFlight.size)) {
      if (this.inFlight.size >= this.maxInFlight) break;
      const key = `${report.epoch}:${report.seq}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.add(key);
      this.sentAtMs.set(key, now);
      // Before the publish: once it may reach the server, the outbox must never merge it away.
      this.outbox.markSent(report.epoch, report.seq);
      this.sent++;
      this.link.publish('telemetry', report.body, 1).catch((err: Error) => {
        this.logger.debug({ err: err.message, seq: report.seq }, 'telemetry publish failed; will resend');
        this.inFlight.delete(key);
        this.sentAtMs.delete(key);
      });
    }
  }

  /** Handles `…/ack`: deletes acked reports and sends more. */
  onAck(payload: Buffer): void {
    const parsed = parseMessage(ackSchema, payload, { maxBytes: 1024 });
    if (!parsed.ok) {
      this.logger.warn({ error: parsed.error }, 'ignored malformed ack');
      return;
    }
    const { epoch, seq } = parsed.value;
    this.outbox.ack(epoch, seq);
    for (const key of [...this.inFlight]) {
      const [e, s] = key.split(':').map(Number);
      if (e === epoch && s! <= seq) {
        this.inFlight.delete(key);
        this.sentAtMs.delete(key);
      }
    }
    this.pump();
  }

  /** After a disconnect nothing is in flight any more: the next connect resends. */
  reset(): void {
    this.inFlight.clear();
    this.sentAtMs.clear();
  }
}
