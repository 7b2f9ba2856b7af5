// A real small filesystem for disk-full faults: a tmpfs mounted by the test (root, or passwordless sudo).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A mounted tmpfs of a fixed size; `fill` takes every free byte, `free` gives it back. */
export interface SmallFs {
  dir: string;
  /** Writes zeros into a filler file until the filesystem answers ENOSPC (what `dd if=/dev/zero` does). */
  fill(): number;
  free(): void;
  unmount(): void;
}

const asRoot = (args: string[]) =>
  process.getuid?.() === 0
    ? execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' })
    : execFileSync('sudo', ['-n', ...args], { stdio: 'pipe' });

/** Mounts a tmpfs of `sizeBytes`; a string says why it cannot (no root, no mount permission). */
export function mountSmallFs(sizeBytes: number): SmallFs | string {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-smallfs-'));
  try {
    asRoot(['mount', '-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0777`, 'tmpfs', dir]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (needs root or passwordless sudo): ${(err as Error).message.split('\n')[0]}`;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      // The last partial page too: nothing is left.
      try {
        for (;;) written += writeSync(fd, chunk, 0, 512);
      } catch {}
      closeSync(fd);
      return written;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        asRoot(['umount', '-l', dir]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
