import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { MAX_SOFTWARE_BYTES, MAX_SOFTWARE_MS, type SoftwareMetrics } from '@edgefleet/shared';

/** The process figures of the software metrics: a Node agent always has every one. */
export type ProcessMetrics = Required<Omit<SoftwareMetrics, 'capture'>>;

const bytes = (value: number): number =>
  Number.isFinite(value) ? Math.min(Math.max(Math.round(value), 0), MAX_SOFTWARE_BYTES) : 0;
const ms = (value: number): number =>
  Number.isFinite(value) ? Math.min(Math.max(value, 0), MAX_SOFTWARE_MS) : 0;

/**
 * The process's software metrics per window: RSS and heap at the window end, CPU time (user and system)
 * and event-loop delay (p50, p99, max via `monitorEventLoopDelay`) over the window. {@link window}
 * reads them and starts the next window; {@link current} reads them without resetting.
 */
export class SoftwareMonitor {
  private readonly loopDelay: IntervalHistogram;
  private cpuAt: NodeJS.CpuUsage;

  constructor(resolutionMs = 20) {
    this.loopDelay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.loopDelay.enable();
    this.cpuAt = process.cpuUsage();
  }

  /** The metrics since the last window end (or the start), without starting a new window. */
  current(): ProcessMetrics {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(this.cpuAt);
    const h = this.loopDelay;
    const empty = h.count === 0;
    // HDR percentiles round up to their bucket's top, which can pass the recorded max: clamp.
    const maxMs = empty ? 0 : ms(h.max / 1e6);
    const p99Ms = empty ? 0 : Math.min(ms(h.percentile(99) / 1e6), maxMs);
    const p50Ms = empty ? 0 : Math.min(ms(h.percentile(50) / 1e6), p99Ms);
    return {
      rssBytes: bytes(memory.rss),
      heapUsedBytes: bytes(memory.heapUsed),
      cpuUserMs: ms(cpu.user / 1000),
      cpuSystemMs: ms(cpu.system / 1000),
      eventLoopDelayP50Ms: p50Ms,
      eventLoopDelayP99Ms: p99Ms,
      eventLoopDelayMaxMs: maxMs,
    };
  }

  /** The metrics of the window that ends now; the next window starts. */
  window(): ProcessMetrics {
    const metrics = this.current();
    this.cpuAt = process.cpuUsage();
    this.loopDelay.reset();
    return metrics;
  }

  /** Stops the event-loop delay monitor. */
  stop(): void {
    this.loopDelay.disable();
  }
}
