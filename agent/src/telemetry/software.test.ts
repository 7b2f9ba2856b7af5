import { softwareMetricsSchema } from '@edgefleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { SoftwareMonitor } from './software';

const monitors: SoftwareMonitor[] = [];
const monitor = () => {
  const m = new SoftwareMonitor(10);
  monitors.push(m);
  return m;
};
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});

// Busy until the process has used `ms` of CPU time (at least `ms` of wall time too, even on a loaded host).
const busyMs = (ms: number) => {
  const from = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(from);
    if ((used.user + used.system) / 1000 >= ms) return x;
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SoftwareMonitor', () => {
  it('measures CPU and event-loop delay per window, then starts afresh', async () => {
    const m = monitor();
    await sleep(30);
    busyMs(150);
    await sleep(30);
    const blocked = m.window();
    expect(softwareMetricsSchema.safeParse(blocked).success).toBe(true);
    expect(blocked.rssBytes).toBeGreaterThan(1_000_000);
    expect(blocked.heapUsedBytes).toBeGreaterThan(0);
    expect(blocked.cpuUserMs + blocked.cpuSystemMs).toBeGreaterThanOrEqual(100);
    expect(blocked.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(100);
    expect(blocked.eventLoopDelayP50Ms).toBeLessThanOrEqual(blocked.eventLoopDelayP99Ms);
    expect(blocked.eventLoopDelayP99Ms).toBeLessThanOrEqual(blocked.eventLoopDelayMaxMs);

    await sleep(60);
    const idle = m.window();
    expect(softwareMetricsSchema.safeParse(idle).success).toBe(true);
    expect(idle.cpuUserMs + idle.cpuSystemMs).toBeLessThan(100);
    expect(idle.eventLoopDelayMaxMs).toBeLessThan(100);
  });

  it('reads the current window without resetting it', async () => {
    const m = monitor();
    await sleep(30);
    busyMs(120);
    await sleep(20);
    const peek = m.current();
    const window = m.window();
    expect(window.cpuUserMs + window.cpuSystemMs).toBeGreaterThanOrEqual(peek.cpuUserMs + peek.cpuSystemMs);
    expect(window.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(100);
  });

  it('reports zeros, not NaN, for a window without event-loop samples', () => {
    const m = monitor();
    const first = m.window();
    expect(softwareMetricsSchema.safeParse(first).success).toBe(true);
    expect(first.eventLoopDelayMaxMs).toBe(0);
  });
});
