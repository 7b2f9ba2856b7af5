import { describe, expect, it } from 'vitest';
import { parseEventBlocks } from './events';

function parseAll(text: string) {
  const events: [string, string][] = [];
  const rest = parseEventBlocks(text, (name, data) => events.push([name, data]));
  return { events, rest };
}

describe('parseEventBlocks', () => {
  it('reads named events with JSON data and keeps an unfinished block for the next chunk', () => {
    const { events, rest } = parseAll(
      'event: rollout\ndata: {"id":"r1"}\n\nevent: telemetry\ndata: {"reports":2}\n\nevent: dev',
    );
    expect(events).toEqual([
      ['rollout', '{"id":"r1"}'],
      ['telemetry', '{"reports":2}'],
    ]);
    expect(rest).toBe('event: dev');
    expect(parseAll(`${rest}ice\ndata: {}\n\n`).events).toEqual([['device', '{}']]);
  });

  it('joins multi-line data, accepts CRLF and CR line ends, and skips heartbeat comments', () => {
    const { events } = parseAll(
      ': heartbeat\r\n\r\nevent: alert\r\ndata: a\r\ndata: b\r\n\r\nevent: x\rdata:c\r\r',
    );
    expect(events).toEqual([
      ['alert', 'a\nb'],
      ['x', 'c'],
    ]);
  });

  it('survives hostile input: fields without colons, unknown fields, empty blocks, huge data', () => {
    const huge = 'x'.repeat(2_000_000);
    const { events, rest } = parseAll(
      `\n\n\n\nevent\ndata\nid: 7\nretry: 1\nbogus line\n\ndata: ${huge}\n\n`,
    );
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual(['message', '']);
    expect(events[1]![1]).toHaveLength(huge.length);
    expect(rest).toBe('');
  });

  it('ignores blocks that carry neither an event name nor data', () => {
    expect(parseAll('id: 3\n\n: comment only\n\n').events).toEqual([]);
  });
});
