import { mergeCaptureCounters } from '../capture/counters';
import { MAX_SOFTWARE_MS, type SoftwareMetrics } from '../protocol/telemetry';

/**
 * Software metrics of two windows merged into one: memory is the larger (a peak), CPU time adds up
 * (capped at the schema's bound), event-loop delay percentiles and max are the larger of the two (an
 * upper bound: percentiles do not merge exactly), capture counters the larger (cumulative). A side without
 * metrics contributes nothing.
 */
export function mergeSoftwareMetrics(
  a: SoftwareMetrics | undefined,
  b: SoftwareMetrics | undefined,
): SoftwareMetrics | undefined {
  if (!a || !b) return a ?? b;
  const capture = mergeCaptureCounters(a.capture, b.capture);
  return {
    rssBytes: Math.max(a.rssBytes, b.rssBytes),
    heapUsedBytes: Math.max(a.heapUsedBytes, b.heapUsedBytes),
    cpuUserMs: Math.min(a.cpuUserMs + b.cpuUserMs, MAX_SOFTWARE_MS),
    cpuSystemMs: Math.min(a.cpuSystemMs + b.cpuSystemMs, MAX_SOFTWARE_MS),
    eventLoopDelayP50Ms: Math.max(a.eventLoopDelayP50Ms, b.eventLoopDelayP50Ms),
    eventLoopDelayP99Ms: Math.max(a.eventLoopDelayP99Ms, b.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: Math.max(a.eventLoopDelayMaxMs, b.eventLoopDelayMaxMs),
    ...(capture ? { capture } : {}),
  };
}
