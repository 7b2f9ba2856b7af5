import { describe, expect, it } from 'vitest';
import { sleep } from '../mqtt/test-clients';
import { EventBus, TelemetryCoalescer } from './bus';
import { EventStreams, formatSseEvent } from './stream';

const decoder = new TextDecoder();

describe('EventStreams', () => {
  it('delivers bus events in SSE format to every open stream, and refuses past the cap', async () => {
    const bus = new EventBus();
    const streams = new EventStreams(bus, { maxStreams: 2 });
    const a = streams.open()!.getReader();
    const b = streams.open()!.getReader();
    expect(streams.open()).toBeNull();
    expect(streams.stats.refused).toBe(1);
    expect(decoder.decode((await a.read()).value)).toContain(': connected');
    bus.publish({ type: 'device', data: { id: 'd1', online: true } });
    expect(decoder.decode((await a.read()).value)).toBe('event: device\ndata: {"id":"d1","online":true}\n\n');
    await b.read();
    expect(decoder.decode((await b.read()).value)).toContain('"d1"');
    await a.cancel();
    expect(streams.size).toBe(1);
    streams.closeAll();
    expect((await b.read()).done).toBe(true);
    expect(streams.size).toBe(0);
    expect(bus.size).toBe(0);
  });

  it('drops a client that does not read instead of buffering without end', async () => {
    const bus = new EventBus();
    const streams = new EventStreams(bus, { maxStreams: 5, maxQueuedBytes: 4_096 });
    const slow = streams.open()!.getReader();
    const fast = streams.open()!.getReader();
    const reading = (async () => {
      let n = 0;
      while (!(await fast.read()).done) n++;
      return n;
    })();
    for (let i = 0; i < 200; i++) {
      bus.publish({ type: 'telemetry', data: { model: 'cls', version: '1.0.0', reports: i } });
      if (i % 10 === 0) await sleep(0); // the reading client keeps up between bursts
    }
    expect(streams.stats.droppedSlow).toBe(1);
    expect(streams.size).toBe(1);
    await expect(slow.read()).rejects.toThrow(/too slowly/);
    streams.closeAll();
    expect(await reading).toBeGreaterThan(150);
  });

  it('escapes nothing it should not: one data line of JSON per event', () => {
    const text = formatSseEvent({ type: 'alert', data: { id: 1, kind: 'drift', status: 'open' } });
    expect(text.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1);
    const hostile = formatSseEvent({
      type: 'rollout',
      data: { id: 'r\n\nevent: x', status: 'running', stageIndex: 0, action: 'started' },
    });
    expect(hostile.split('\n\n')).toHaveLength(2);
  });
});

describe('TelemetryCoalescer', () => {
  it('sends the first batch at once and at most one event per version per interval after it', async () => {
    const bus = new EventBus();
    const got: unknown[] = [];
    bus.subscribe((e) => got.push(e.data));
    const coalescer = new TelemetryCoalescer(bus, 100);
    coalescer.add('cls', '1.0.0', 2);
    coalescer.add('cls', '1.0.0', 3);
    coalescer.add('cls', '1.0.0', 4);
    coalescer.add('cls', '2.0.0', 1);
    expect(got).toEqual([
      { model: 'cls', version: '1.0.0', reports: 2 },
      { model: 'cls', version: '2.0.0', reports: 1 },
    ]);
    await sleep(150);
    expect(got[2]).toEqual({ model: 'cls', version: '1.0.0', reports: 7 });
    expect(got).toHaveLength(3);
    coalescer.close();
  });
});

describe('EventStreams heartbeat', () => {
  it('sends a comment line every heartbeatMs while a stream is open', async () => {
    const streams = new EventStreams(new EventBus(), { maxStreams: 1, heartbeatMs: 20 });
    const reader = streams.open()!.getReader();
    await reader.read();
    expect(decoder.decode((await reader.read()).value)).toMatch(/^: heartbeat \d+\n\n$/);
    streams.closeAll();
  });
});
