import { readdirSync, statSync } from 'node:fs';

/** The names in a directory; none when it does not exist or cannot be read (a collector walking a store). */
export function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A path's stats, or null when it is gone (removed meanwhile) or cannot be read. */
export function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
