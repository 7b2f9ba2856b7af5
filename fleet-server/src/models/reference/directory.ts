import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidInput, PayloadTooLarge } from '../../errors';
import { REFERENCE_LIMITS, type ReferenceFile } from './baseline';

/** The files under a directory, recursively, in sorted order (so a baseline does not depend on readdir order). */
export async function* directoryReference(dir: string): AsyncGenerator<ReferenceFile> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (files.length > REFERENCE_LIMITS.maxFiles) {
    throw new InvalidInput(`reference directory has more than ${REFERENCE_LIMITS.maxFiles} files`, {
      field: 'reference',
    });
  }
  for (const path of files) {
    const { size } = await stat(path);
    const name = relative(dir, path).split(sep).join('/');
    if (size > REFERENCE_LIMITS.maxFileBytes) {
      throw new PayloadTooLarge(
        `reference file '${name}' has ${size} bytes, at most ${REFERENCE_LIMITS.maxFileBytes}`,
        {
          field: 'reference',
          entry: name,
        },
      );
    }
    yield { path: name, sizeBytes: size, read: async () => new Uint8Array(await readFile(path)) };
  }
}
