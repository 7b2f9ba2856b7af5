import { describe, expect, it } from 'vitest';
import type { CliIo } from './io';
import { countingStream, createProgress, progressBar } from './progress';

function capture(errIsTty = false) {
  const err: string[] = [];
  const io: CliIo = { out: () => {}, err: (s) => err.push(s), fetch, errIsTty };
  return { io, err };
}

describe('upload progress', () => {
  it('draws a bar that redraws in place and never overflows', () => {
    expect(progressBar('m.onnx', 0, 1000)).toBe(`\r  m.onnx [${'.'.repeat(30)}]   0%  0 B / 1.0 kB\u001b[K`);
    expect(progressBar('m.onnx', 500, 1000)).toContain(`[${'#'.repeat(15)}${'.'.repeat(15)}]  50%`);
    expect(progressBar('m.onnx', 5000, 1000)).toContain(`[${'#'.repeat(30)}] 100%`);
    expect(progressBar('empty', 0, 0)).toContain('100%');
  });

  it('writes a line per 10 % off a terminal, a bar on one, nothing in none mode, and stops at finish', async () => {
    const lines = capture();
    const progress = createProgress(lines.io, 'lines', 'm.onnx', 1000);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(25));
        controller.close();
      },
    }).pipeThrough(countingStream(progress));
    let received = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) received += chunk.byteLength;
    progress.finish();
    progress.update(1000);
    expect(received).toBe(1000);
    expect(lines.err[0]).toBe('uploading m.onnx: 0% (25 B of 1.0 kB)\n');
    expect(lines.err.map((l) => Number(/: (\d+)%/.exec(l)?.[1]))).toEqual([
      0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100,
    ]);
    expect(lines.err.at(-1)).toBe('uploading m.onnx: 100% (1.0 kB of 1.0 kB)\n');

    const tty = capture(true);
    const bar = createProgress(tty.io, 'bar', 'm.onnx', 1000);
    bar.update(10);
    bar.update(20); // within 100 ms of the last draw: skipped
    bar.update(1000); // the end is always drawn
    bar.finish();
    expect(tty.err).toHaveLength(3);
    expect(tty.err.slice(0, 2).every((s) => s.startsWith('\r  m.onnx ['))).toBe(true);
    expect(tty.err[1]?.endsWith('100%  1.0 kB / 1.0 kB\u001b[K')).toBe(true);
    expect(tty.err[2]).toBe('\n'); // the end was drawn already: finish only ends the line

    const none = capture();
    const silent = createProgress(none.io, 'none', 'm.onnx', 1000);
    silent.update(500);
    silent.finish();
    expect(none.err).toEqual([]);
  });
});
