import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch';

describe('TurnBatch', () => {
  it('applies the items of one event-loop turn together, in order', async () => {
    const batches: number[][] = [];
    const batch = new TurnBatch<number>((items) => batches.push([...items]));
    const first = [1, 2, 3].map((n) => batch.add(n));
    expect(batches).toEqual([]); // nothing before the turn ends
    await Promise.all(first);
    await batch.add(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('applies at once when maxItems are queued', async () => {
    const batches: number[][] = [];
    const batch = new TurnBatch<number>((items) => batches.push([...items]), 2);
    const done = [1, 2, 3].map((n) => batch.add(n));
    expect(batches).toEqual([[1, 2]]);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("rejects every item of a batch whose apply threw, and not the next batch's", async () => {
    let fail = true;
    const applied: number[] = [];
    const batch = new TurnBatch<number>((items) => {
      if (fail) throw new Error('disk full');
      applied.push(...items);
    });
    const results = await Promise.allSettled([batch.add(1), batch.add(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await batch.add(3);
    expect(applied).toEqual([3]);
  });

  it('flush() applies what is queued now', () => {
    const applied: number[] = [];
    const batch = new TurnBatch<number>((items) => applied.push(...items));
    void batch.add(1);
    batch.flush();
    expect(applied).toEqual([1]);
  });
});
