import { type Ack, ackSchema, MAX_ACK_BYTES, parseMessage } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { OutboxPort } from '../outbox/storage';
import type { MqttLink } from './link';

/** Timers the sender uses (injected by tests). */
export interface SenderClock {
  now(): number;
  setTimeout(run: () => void, ms: number): object;
  clearTimeout(timer: unknown): void;
}

const SYSTEM_CLOCK: SenderClock = {
  now: Date.now,
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

const keyOf = (epoch: number, seq: number) => `${epoch}:${seq}`;

/**
 * Sends outbox reports at QoS 1 with at most `maxInFlight` unacknowledged and deletes exactly the reports
 * an ack names (`seqs`; an older server's ack without them deletes what was sent up to its `seq`). A report
 * whose ack does not come — lost on the way although a later one was stored — is sent again after
 * `resendAfterMs`, and everything unacknowledged is sent again after a reconnect (the server drops
 * duplicates and acks them again).
 */
export class TelemetrySender {
  /** Sent and not yet acknowledged: key → when it was sent. */
  private inFlight = new Map<string, number>();
  private timer: unknown = null;
  private stopped = false;
  sent = 0;

  constructor(
    private readonly outbox: OutboxPort,
    private readonly link: MqttLink,
    private readonly logger: Logger,
    public maxInFlight: number,
    private readonly resendAfterMs = 30_000,
    private readonly clock: SenderClock = SYSTEM_CLOCK,
  ) {}

  /** Reports sent and not yet acknowledged. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Sends what fits in the in-flight window; what waited past `resendAfterMs` goes again first. */
  pump(): void {
    if (!this.link.connected || this.stopped) return;
    const now = this.clock.now();
    for (const [key, at] of this.inFlight) {
      if (now - at >= this.resendAfterMs) this.inFlight.delete(key);
    }
    if (this.inFlight.size < this.maxInFlight) {
      for (const report of this.outbox.pending(this.maxInFlight + this.inFlight.size)) {
        if (this.inFlight.size >= this.maxInFlight) break;
        const key = keyOf(report.epoch, report.seq);
        if (this.inFlight.has(key)) continue;
        this.inFlight.set(key, now);
        // Before the publish: once it may reach the server, the outbox must never merge it away.
        this.outbox.markSent(report.epoch, report.seq);
        this.sent++;
        this.link.publish('telemetry', report.body, 1).catch((err: Error) => {
          this.logger.debug({ err: err.message, seq: report.seq }, 'telemetry publish failed; will resend');
          this.inFlight.delete(key);
        });
      }
    }
    this.scheduleResend();
  }

  /** Handles `…/ack`: deletes the reports it names and sends more. Malformed or foreign acks change nothing. */
  onAck(payload: Buffer): void {
    const parsed = parseMessage(ackSchema, payload, { maxBytes: MAX_ACK_BYTES });
    if (!parsed.ok) {
      this.logger.warn({ error: parsed.error }, 'ignored malformed ack');
      return;
    }
    if (parsed.value.clientId !== this.outbox.clientId) {
      this.logger.warn({ clientId: parsed.value.clientId }, 'ignored ack for another client');
      return;
    }
    this.applyAck(parsed.value);
    this.pump();
  }

  private applyAck({ epoch, seq, seqs }: Ack): void {
    if (seqs) {
      this.outbox.ack(epoch, seqs);
      for (const s of seqs) this.inFlight.delete(keyOf(epoch, s));
      return;
    }
    // An older server: its ack means "stored up to seq".
    this.outbox.ackUpTo(epoch, seq);
    for (const key of [...this.inFlight.keys()]) {
      const [e, s] = key.split(':').map(Number);
      if (e === epoch && s! <= seq) this.inFlight.delete(key);
    }
  }

  /** After a disconnect nothing is in flight any more: the next connect resends. */
  reset(): void {
    this.inFlight.clear();
    this.cancelResend();
  }

  /** Stops the resend timer; nothing is sent afterwards. */
  stop(): void {
    this.stopped = true;
    this.reset();
  }

  // One timer for the oldest report in flight; when it fires, pump() resends what is overdue.
  private scheduleResend(): void {
    this.cancelResend();
    if (this.inFlight.size === 0 || this.stopped) return;
    const oldest = Math.min(...this.inFlight.values());
    const delayMs = Math.max(0, oldest + this.resendAfterMs - this.clock.now());
    const timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.pump();
    }, delayMs) as { unref?: () => unknown };
    // A pending resend must not keep the process alive.
    timer.unref?.();
    this.timer = timer;
  }

  private cancelResend(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
