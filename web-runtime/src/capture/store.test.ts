import { captureCountersSchema } from '@edgefleet/shared/capture';
import { describe, expect, it } from 'vitest';
import { emptyCounters, readCounters } from './store';

describe('readCounters', () => {
  it('keeps counters of the current shape as they are', () => {
    const c = emptyCounters();
    c.captured.random = 4;
    c.dropped.evicted = 2;
    c.queue = { samples: 2, bytes: 900 };
    c.rejectedByStatus = { 403: 1 };
    c.dropped.rejected = 1;
    expect(readCounters(structuredClone(c))).toEqual(c);
  });

  it('reads an earlier version’s record, or a damaged one, as 0 where it does not fit (the shared schema holds)', () => {
    const earlier = {
      captured: 6,
      uploaded: 3,
      budget: { samples: 1 },
      dropped: { queue_full: 2, expired: 1 },
      refused: { 403: 2 },
      disagreementInputGone: 1,
    };
    const read = readCounters(earlier);
    expect(read).toEqual({ ...emptyCounters(), uploaded: 3, disagreementInputGone: 1 });
    for (const damaged of [
      null,
      'x',
      7,
      [],
      { uploaded: -1, queue: { samples: 1.5 } },
      { rejectedByStatus: { x: 1, 403: 'a', 404: 2 } },
    ]) {
      const r = readCounters(damaged);
      const { rejectedByStatus: _r, disagreementInputGone: _d, ...shared } = r;
      expect(captureCountersSchema.safeParse(shared).success).toBe(true);
      expect(Object.keys(r.rejectedByStatus).every((k) => /^\d{3}$/.test(k))).toBe(true);
    }
    expect(readCounters({ rejectedByStatus: { x: 1, 404: 2 } }).rejectedByStatus).toEqual({ 404: 2 });
  });
});
