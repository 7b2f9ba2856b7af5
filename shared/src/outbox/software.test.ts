import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyCaptureCounters } from '../capture/counters';
import { sampleSoftware } from '../protocol/samples';
import { MAX_SOFTWARE_MS, softwareMetricsSchema } from '../protocol/telemetry';
import { mergeSoftwareMetrics } from './software';

const metricsArb = fc.record({
  rssBytes: fc.nat(),
  heapUsedBytes: fc.nat(),
  cpuUserMs: fc.double({ min: 0, max: MAX_SOFTWARE_MS, noNaN: true }),
  cpuSystemMs: fc.double({ min: 0, max: MAX_SOFTWARE_MS, noNaN: true }),
  eventLoopDelayP50Ms: fc.double({ min: 0, max: 1e6, noNaN: true }),
  eventLoopDelayP99Ms: fc.double({ min: 0, max: 1e6, noNaN: true }),
  eventLoopDelayMaxMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
});

describe('mergeSoftwareMetrics', () => {
  it('adds CPU time and keeps the peaks', () => {
    const a = sampleSoftware();
    const b = { ...a, rssBytes: 1, cpuUserMs: 1, eventLoopDelayMaxMs: 500 };
    expect(mergeSoftwareMetrics(a, b)).toEqual({
      ...a,
      cpuUserMs: a.cpuUserMs + 1,
      cpuSystemMs: a.cpuSystemMs * 2,
      eventLoopDelayMaxMs: 500,
    });
    expect(mergeSoftwareMetrics(undefined, b)).toBe(b);
    expect(mergeSoftwareMetrics(a, undefined)).toBe(a);
    expect(mergeSoftwareMetrics(undefined, undefined)).toBeUndefined();
  });

  it('merges the capture-only metrics of a browser: no process figure is made up, the counters take the larger', () => {
    const counters = emptyCaptureCounters();
    const early = { capture: { ...counters, uploaded: 2, queue: { samples: 5, bytes: 900 } } };
    const late = { capture: { ...counters, uploaded: 7, queue: { samples: 1, bytes: 100 } } };
    const merged = mergeSoftwareMetrics(early, late)!;
    expect(merged).toEqual({ capture: { ...counters, uploaded: 7, queue: { samples: 5, bytes: 900 } } });
    expect(softwareMetricsSchema.safeParse(merged).success).toBe(true);
    // An agent's window beside a capture-only one keeps its process figures as they are.
    const agent = sampleSoftware();
    expect(mergeSoftwareMetrics(agent, early)).toEqual({ ...agent, capture: early.capture });
  });

  it('is commutative, associative and stays within the schema (property)', () => {
    fc.assert(
      fc.property(metricsArb, metricsArb, metricsArb, (a, b, c) => {
        const ab = mergeSoftwareMetrics(a, b)!;
        expect(softwareMetricsSchema.safeParse(ab).success).toBe(true);
        expect(ab).toEqual(mergeSoftwareMetrics(b, a));
        const left = mergeSoftwareMetrics(ab, c)!;
        const right = mergeSoftwareMetrics(a, mergeSoftwareMetrics(b, c))!;
        expect(left.rssBytes).toBe(right.rssBytes);
        expect(left.eventLoopDelayMaxMs).toBe(right.eventLoopDelayMaxMs);
        expect(left.cpuUserMs).toBeCloseTo(right.cpuUserMs!, -1);
      }),
    );
  });
});
