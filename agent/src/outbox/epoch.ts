import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Where the epoch lives: apart from the outbox, so losing `telemetry.db` can never send it backwards. */
export const epochFileOf = (dataDir: string): string => join(dataDir, 'epoch.json');

/** Reads the last epoch stored in `epoch.json`; undefined when absent or unreadable. */
export function readEpochFile(dataDir: string): number | undefined {
  try {
    const value = (JSON.parse(readFileSync(epochFileOf(dataDir), 'utf8')) as { epoch?: unknown }).epoch;
    return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `epoch.json` durably (temp file, fsync, rename). Throws on a full or read-only disk. */
export function writeEpochFile(dataDir: string, epoch: number): void {
  const path = epochFileOf(dataDir);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ epoch }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * The epoch of this start: one above every epoch this device has used, from `epoch.json` and the outbox's
 * own record (older agents kept it only there), whichever is higher. When neither can be read although the
 * device is enrolled (both files lost), the epoch falls back to the wall clock in seconds: it still rises past
 * every epoch counted from 1 since, and the server drops nothing as a duplicate.
 */
export function nextEpoch(opts: {
  fromFile: number | undefined;
  fromOutbox: number | undefined;
  enrolled: boolean;
  nowMs: number;
}): number {
  const known = Math.max(opts.fromFile ?? 0, opts.fromOutbox ?? 0);
  if (opts.fromFile === undefined && opts.fromOutbox === undefined && opts.enrolled) {
    return Math.floor(opts.nowMs / 1000);
  }
  return known + 1;
}
