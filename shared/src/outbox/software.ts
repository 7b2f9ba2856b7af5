import { mergeCaptureCounters } from '../capture/counters';
import { MAX_SOFTWARE_MS, type SoftwareMetrics } from '../protocol/telemetry';

type Figure = Exclude<keyof SoftwareMetrics, 'capture'>;
const PEAKS: Figure[] = [
  'rssBytes',
  'heapUsedBytes',
  'eventLoopDelayP50Ms',
  'eventLoopDelayP99Ms',
  'eventLoopDelayMaxMs',
];
const SUMS: Figure[] = ['cpuUserMs', 'cpuSystemMs'];

/**
 * Software metrics of two windows merged into one: memory is the larger (a peak), CPU time adds up
 * (capped at the schema's bound), event-loop delay percentiles and max are the larger of the two (an
 * upper bound: percentiles do not merge exactly), capture counters the larger (cumulative). A side without
 * metrics, or without a figure (browsers have no process figures), contributes nothing to it.
 */
export function mergeSoftwareMetrics(
  a: SoftwareMetrics | undefined,
  b: SoftwareMetrics | undefined,
): SoftwareMetrics | undefined {
  if (!a || !b) return a ?? b;
  const out: SoftwareMetrics = {};
  const both = (f: Figure, merge: (x: number, y: number) => number) => {
    const x = a[f];
    const y = b[f];
    const v = x === undefined ? y : y === undefined ? x : merge(x, y);
    if (v !== undefined) out[f] = v;
  };
  for (const f of PEAKS) both(f, Math.max);
  for (const f of SUMS) both(f, (x, y) => Math.min(x + y, MAX_SOFTWARE_MS));
  const capture = mergeCaptureCounters(a.capture, b.capture);
  if (capture) out.capture = capture;
  return out;
}
