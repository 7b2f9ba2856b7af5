/** What failed in the server's own storage: no space (or quota), a read-only filesystem, an I/O error. */
export type StorageErrorKind = 'full' | 'readonly' | 'io';

const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const READONLY = new Set(['SQLITE_READONLY', 'EROFS']);
const IO = new Set(['EIO']);

/**
 * The storage kind of an error (SQLite's `SQLITE_FULL` / `SQLITE_IOERR_*`, the filesystem's `ENOSPC`, `EDQUOT`,
 * `EROFS`, `EIO`), looking through `cause` (drizzle wraps driver errors); null for anything else.
 */
export function storageErrorKind(error: unknown): StorageErrorKind | null {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (FULL.has(code)) return 'full';
      if (READONLY.has(code) || code.startsWith('SQLITE_READONLY')) return 'readonly';
      if (IO.has(code) || code.startsWith('SQLITE_IOERR')) return 'io';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
