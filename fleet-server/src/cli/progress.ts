import type { CliIo } from './io';
import { bytes } from './output';

// Upload progress on stderr: a redrawn bar on a terminal, a line per 10 % otherwise, nothing for --json.

/** How progress is shown. */
export type ProgressMode = 'bar' | 'lines' | 'none';

const BAR_WIDTH = 30;

/** One redraw of the bar: `\r  model.onnx [#########.........] 31%  180 kB / 583 kB`. */
export function progressBar(label: string, doneBytes: number, totalBytes: number): string {
  const share = totalBytes > 0 ? Math.min(1, doneBytes / totalBytes) : 1;
  const filled = Math.round(share * BAR_WIDTH);
  const percent = String(Math.floor(share * 100)).padStart(3);
  return `\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent}%  ${bytes(doneBytes)} / ${bytes(totalBytes)}\u001b[K`;
}

/** Reports bytes sent; `finish()` ends the line. */
export interface Progress {
  update(doneBytes: number): void;
  finish(): void;
}

/** A progress reporter writing to `io.err` in `mode`. */
export function createProgress(io: CliIo, mode: ProgressMode, label: string, totalBytes: number): Progress {
  let lastStep = -1;
  let lastDrawMs = 0;
  let done = 0;
  let drawn = -1;
  let finished = false;
  return {
    update(doneBytes) {
      if (finished) return;
      done = doneBytes;
      if (mode === 'bar') {
        const now = Date.now();
        if (now - lastDrawMs < 100 && doneBytes < totalBytes) return;
        lastDrawMs = now;
        drawn = doneBytes;
        io.err(progressBar(label, doneBytes, totalBytes));
      } else if (mode === 'lines') {
        const step = totalBytes > 0 ? Math.floor((doneBytes / totalBytes) * 10) : 10;
        if (step > lastStep) {
          lastStep = step;
          io.err(`uploading ${label}: ${step * 10}% (${bytes(doneBytes)} of ${bytes(totalBytes)})\n`);
        }
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      if (mode === 'bar') io.err(drawn === done ? '\n' : `${progressBar(label, done, totalBytes)}\n`);
    },
  };
}

/** Passes a byte stream through, reporting the running total. */
export function countingStream(progress: Progress): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      progress.update(total);
      controller.enqueue(chunk);
    },
  });
}
