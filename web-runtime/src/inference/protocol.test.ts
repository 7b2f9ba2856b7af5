import { describe, expect, it } from 'vitest';
import { transferList } from './protocol';

describe('transferList', () => {
  it('lists each buffer once, views sharing one included, and never a SharedArrayBuffer', () => {
    const a = new Float32Array(8);
    const b = new Float32Array(a.buffer, 16, 2); // a second view on a's buffer
    const c = new Uint8Array(4);
    const shared = new Float32Array(new SharedArrayBuffer(16));
    expect(transferList([{ data: a }, { data: b }, { data: c }, { data: shared }])).toEqual([
      a.buffer,
      c.buffer,
    ]);
    expect(transferList([])).toEqual([]);
  });

  it('gives a list postMessage accepts: the buffers move (detached here), the values arrive', async () => {
    const { port1, port2 } = new MessageChannel();
    const data = new Float32Array([1, 2, 3]);
    const inputs = { x: { data, dims: [3] }, y: { data: new Float32Array(data.buffer, 4, 1), dims: [1] } };
    const received = new Promise<typeof inputs>((resolve) => {
      port2.onmessage = (event) => resolve(event.data);
    });
    port1.postMessage(inputs, transferList(Object.values(inputs)));
    expect(data.byteLength).toBe(0);
    const got = await received;
    expect(Array.from(got.x.data)).toEqual([1, 2, 3]);
    expect(Array.from(got.y.data)).toEqual([2]);
    expect(got.x.data.buffer).toBe(got.y.data.buffer); // one buffer, as it was sent
    port1.close();
    port2.close();
  });
});
