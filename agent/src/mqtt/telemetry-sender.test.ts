import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../outbox/outbox';
import { sampleDraft } from '../outbox/sample-draft';
import type { MqttLink } from './link';
import { TelemetrySender } from './telemetry-sender';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(reports: number, maxInFlight: number) {
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
  const sender = new TelemetrySender(outbox, link, pino({ level: 'silent' }), maxInFlight);
  const ack = (seq: number) =>
    sender.onAck(Buffer.from(JSON.stringify({ v: 1, clientId: 'dev-1', epoch: 1, seq })));
  return { outbox, sender, sent, link, ack };
}

describe('TelemetrySender', () => {
  it('keeps at most maxInFlight unacked, deletes on ack and sends the next', async () => {
    const { outbox, sender, sent, ack } = setup(7, 3);
    sender.pump();
    sender.pump();
    expect(sent).toEqual([1, 2, 3]);
    ack(2);
    expect(outbox.pending(10).map((p) => p.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
    ack(5);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7]);
    ack(7);
    expect(outbox.stats().pending).toBe(0);
    expect(sent).toHaveLength(7);
    outbox.close();
  });

  it('resends what was in flight after a reconnect and ignores malformed acks', () => {
    const { outbox, sender, sent, link } = setup(2, 8);
    sender.pump();
    sender.onAck(Buffer.from('{"v":1,"seq":"x"}'));
    (link as { connected: boolean }).connected = false;
    sender.reset();
    sender.pump();
    expect(sent).toEqual([1, 2]);
    (link as { connected: boolean }).connected = true;
    sender.pump();
    expect(sent).toEqual([1, 2, 1, 2]);
    outbox.close();
  });
});
