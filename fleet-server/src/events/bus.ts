import type { FleetEvent } from '@edgefleet/shared/api';

/** One live update: rollout, telemetry, device or alert (the API's `FleetEvent`). */
export type { FleetEvent };

/** A subscriber; it must not throw (a throwing listener is logged through `onListenerError` and skipped). */
export type FleetEventListener = (event: FleetEvent) => void;

/**
 * A small synchronous in-process bus: the rollout controller, telemetry ingest, presence and alerts publish,
 * the SSE streams and the alert evaluator listen. Delivery is in publish order and never blocks the publisher
 * beyond the listeners' own (bounded) work.
 * @example const stop = bus.subscribe((e) => e.type === 'device' && log(e.data.id)); stop();
 */
export class EventBus {
  private readonly listeners = new Set<FleetEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: FleetEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers `event` to every current listener. */
  publish(event: FleetEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  /** Listeners now subscribed. */
  get size(): number {
    return this.listeners.size;
  }
}

/**
 * Coalesces stored-report counts into at most one `telemetry` event per version per `intervalMs`: the first
 * batch of a quiet version goes out at once, later ones are summed and sent when the interval is up.
 */
export class TelemetryCoalescer {
  private readonly pending = new Map<string, { model: string; version: string; reports: number }>();
  private readonly lastSentMs = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts `reports` newly stored reports of `model@version`. */
  add(model: string, version: string, reports: number): void {
    if (reports <= 0) return;
    const key = `${model}@${version}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.reports += reports;
      return;
    }
    const last = this.lastSentMs.get(key);
    if (last === undefined || this.now() - last >= this.intervalMs) {
      this.send(key, { model, version, reports });
      return;
    }
    this.pending.set(key, { model, version, reports });
    this.timer ??= setTimeout(() => this.flushDue(), Math.max(1, last + this.intervalMs - this.now()));
    this.timer.unref?.();
  }

  /** Stops the timer; what waits is dropped (the stream is advisory, the numbers live in the database). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private send(key: string, data: { model: string; version: string; reports: number }): void {
    this.lastSentMs.set(key, this.now());
    if (this.lastSentMs.size > 10_000) this.lastSentMs.delete(this.lastSentMs.keys().next().value!);
    this.bus.publish({ type: 'telemetry', data });
  }

  private flushDue(): void {
    this.timer = null;
    const now = this.now();
    let nextDueMs = Number.POSITIVE_INFINITY;
    for (const [key, data] of this.pending) {
      const dueMs = (this.lastSentMs.get(key) ?? 0) + this.intervalMs;
      if (dueMs <= now) {
        this.pending.delete(key);
        this.send(key, data);
      } else nextDueMs = Math.min(nextDueMs, dueMs);
    }
    if (Number.isFinite(nextDueMs)) {
      this.timer = setTimeout(() => this.flushDue(), Math.max(1, nextDueMs - now));
      this.timer.unref?.();
    }
  }
}
