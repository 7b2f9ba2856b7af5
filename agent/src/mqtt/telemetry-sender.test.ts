import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/outbox';
import { sampleDraft } from '../outbox/sample-draft';
import type { MqttLink } from './link';
import { type SenderClock, TelemetrySender } from './telemetry-sender';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A clock whose timers run only when the test advances it. */
function manualClock() {
  let nowMs = 0;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let ids = 0;
  const clock: SenderClock = {
    now: () => nowMs,
    setTimeout: (run, ms) => {
      const timer = { at: nowMs + ms, run, id: ++ids };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      timers = timers.filter((t) => t !== timer);
    },
  };
  const advance = (ms: number) => {
    nowMs += ms;
    for (const t of timers.filter((t) => t.at <= nowMs)) {
      timers = timers.filter((x) => x !== t);
      t.run();
    }
  };
  return { clock, advance, pendingTimers: () => timers.length };
}

function setup(reports: number, maxInFlight: number, resendAfterMs = 30_000) {
  const dir = mkdtempSync(join(tmpdir(), 'sender-'));
  dirs.push(dir);
  const outbox = new Outbox(join(dir, 't.db'), 'dev-1', 100);
  for (let i = 0; i < reports; i++) outbox.append(sampleDraft(), { backend: 'cpu', threads: 1 });
  const sent: number[] = [];
  const link = {
    connected: true,
    publish: async (_kind: string, body: string) => {
      sent.push(JSON.parse(body).seq);
    },
  } as unknown as MqttLink & { connected: boolean };
  const time = manualClock();
  const sender = new TelemetrySender(
    outbox,
    link,
    pino({ level: 'silent' }),
    maxInFlight,
    resendAfterMs,
    time.clock,
  );
  const raw = (ack: unknown) => sender.onAck(Buffer.from(JSON.stringify(ack)));
  /** An ack as the server sends it now: the exact seqs stored, and the highest stored seq. */
  const ack = (seqs: number[], seq = Math.max(...seqs)) =>
    raw({ v: 1, clientId: 'dev-1', epoch: 1, seq, seqs });
  const pendingSeqs = () => outbox.pending(100).map((p) => p.seq);
  return { outbox, sender, sent, link, ack, raw, pendingSeqs, time };
}

describe('TelemetrySender', () => {
  it('keeps at most maxInFlight unacked, deletes exactly what an ack names and sends the next', async () => {
    const { outbox, sender, sent, ack, pendingSeqs } = setup(7, 3);
    sender.pump();
    sender.pump();
    expect(sent).toEqual([1, 2, 3]);
    ack([1, 2]);
    expect(pendingSeqs()).toEqual([3, 4, 5, 6, 7]);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    ack([3, 4, 5]);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7]);
    ack([6, 7]);
    expect(outbox.stats().pending).toBe(0);
    expect(sender.inFlightCount).toBe(0);
    expect(sent).toHaveLength(7);
    outbox.close();
  });

  it('keeps a report lost in flight although later ones were acked, and resends it after resendAfterMs', () => {
    const { outbox, sender, sent, ack, pendingSeqs, time } = setup(4, 4, 1_000);
    sender.pump();
    expect(sent).toEqual([1, 2, 3, 4]);
    // Seq 2 never reached the server: the ack names 1, 3 and 4 (highest stored: 4).
    ack([1, 3, 4]);
    expect(pendingSeqs()).toEqual([2]);
    expect(sender.inFlightCount).toBe(1);
    time.advance(999);
    expect(sent).toEqual([1, 2, 3, 4]);
    time.advance(1);
    expect(sent).toEqual([1, 2, 3, 4, 2]);
    ack([2], 4);
    expect(pendingSeqs()).toEqual([]);
    expect(time.pendingTimers()).toBe(0);
    outbox.close();
  });

  it('trims up to seq on an older server ack (no seqs), but never a report it did not send', () => {
    const { outbox, sender, sent, raw, pendingSeqs } = setup(5, 2);
    sender.pump();
    expect(sent).toEqual([1, 2]);
    raw({ v: 1, clientId: 'dev-1', epoch: 1, seq: 4 });
    expect(pendingSeqs()).toEqual([3, 4, 5]);
    expect(sent).toEqual([1, 2, 3, 4]);
    outbox.close();
  });

  it('ignores malformed, oversized, foreign and inconsistent acks, and an ack of an unknown seq', () => {
    const { outbox, sender, sent, raw, ack, pendingSeqs } = setup(3, 8);
    sender.pump();
    const hostile: unknown[] = [
      { v: 1, seq: 'x' },
      { v: 1, clientId: 'dev-1', epoch: 1, seq: 3, seqs: [1, 4] }, // a seq above the highest stored
      { v: 1, clientId: 'dev-1', epoch: 1, seq: 3, seqs: [] },
      { v: 1, clientId: 'dev-1', epoch: 1, seq: 3, seqs: [1.5] },
      { v: 1, clientId: 'dev-1', epoch: 1, seq: 3, seqs: Array.from({ length: 41 }, (_, i) => i) },
      { v: 1, clientId: 'dev-2', epoch: 1, seq: 3, seqs: [1, 2, 3] }, // another client's
      { v: 2, clientId: 'dev-1', epoch: 1, seq: 3, seqs: [1, 2, 3] },
      { v: 1, clientId: 'dev-1', epoch: 1, seq: 3, seqs: [1], pad: 'x'.repeat(2_000) },
    ];
    for (const a of hostile) raw(a);
    sender.onAck(Buffer.from('{"v":1,'));
    sender.onAck(Buffer.from([0xff, 0xfe]));
    expect(pendingSeqs()).toEqual([1, 2, 3]);
    ack([9]);
    raw({ v: 1, clientId: 'dev-1', epoch: 7, seq: 3, seqs: [1, 2, 3] });
    expect(pendingSeqs()).toEqual([1, 2, 3]);
    expect(sent).toEqual([1, 2, 3]);
    outbox.close();
  });

  it('resends what was in flight after a reconnect; a stopped sender sends nothing', () => {
    const { outbox, sender, sent, link, time } = setup(2, 8);
    sender.pump();
    (link as { connected: boolean }).connected = false;
    sender.reset();
    sender.pump();
    expect(sent).toEqual([1, 2]);
    (link as { connected: boolean }).connected = true;
    sender.pump();
    expect(sent).toEqual([1, 2, 1, 2]);
    sender.stop();
    expect(time.pendingTimers()).toBe(0);
    time.advance(60_000);
    sender.pump();
    expect(sent).toEqual([1, 2, 1, 2]);
    outbox.close();
  });
});
