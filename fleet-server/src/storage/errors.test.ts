import { describe, expect, it } from 'vitest';
import { storageErrorKind } from './errors';

describe('storageErrorKind', () => {
  it('names disk-full, read-only and I/O errors of SQLite and the filesystem, also wrapped as a cause', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    expect(storageErrorKind(coded('SQLITE_FULL'))).toBe('full');
    expect(storageErrorKind(coded('ENOSPC'))).toBe('full');
    expect(storageErrorKind(coded('EDQUOT'))).toBe('full');
    expect(storageErrorKind(coded('EROFS'))).toBe('readonly');
    expect(storageErrorKind(coded('SQLITE_READONLY_DBMOVED'))).toBe('readonly');
    expect(storageErrorKind(coded('SQLITE_IOERR_WRITE'))).toBe('io');
    expect(storageErrorKind(new Error('Failed query', { cause: coded('SQLITE_FULL') }))).toBe('full');
    expect(storageErrorKind(coded('SQLITE_CONSTRAINT_UNIQUE'))).toBeNull();
    expect(storageErrorKind(new Error('boom'))).toBeNull();
    expect(storageErrorKind(undefined)).toBeNull();
  });
});
