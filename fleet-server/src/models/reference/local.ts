import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { PreprocessingSpec } from '@edgefleet/shared';
import { readModelSignature } from '../../artifacts/onnx';
import { InvalidInput, PayloadTooLarge } from '../../errors';
import { type Baseline, validateBaseline } from '../baseline';
import { openServerModel } from '../inference';
import {
  computeReferenceBaseline,
  REFERENCE_LIMITS,
  type ReferenceFile,
  type ReferenceOptions,
} from './baseline';
import { tarFileReference } from './sources';

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

/**
 * Computes a baseline on this machine exactly as the server does for `baseline.fromReference` (what
 * `edgefleet model push --baseline ./reference/` calls): `reference` is a directory or a `.tar` file.
 * @example const { spec, profile } = await baselineFromLocalReference({ modelPath, preprocessing, reference: './ref' });
 */
export async function baselineFromLocalReference(args: {
  modelPath: string;
  preprocessing: PreprocessingSpec;
  reference: string;
  options?: ReferenceOptions;
}): Promise<Baseline & { samples: number; files: number; skipped: string[] }> {
  const signature = await readModelSignature(args.modelPath);
  const isDir = (await stat(args.reference)).isDirectory();
  const model = await openServerModel(args.modelPath);
  try {
    const computed = await computeReferenceBaseline({
      model,
      signature,
      preprocessing: args.preprocessing,
      files: isDir ? directoryReference(args.reference) : tarFileReference(args.reference),
      ...(args.options ? { options: args.options } : {}),
    });
    const baseline = validateBaseline({ spec: computed.spec, profile: computed.profile.toJSON() });
    return { ...baseline, samples: computed.samples, files: computed.files, skipped: computed.skipped };
  } finally {
    await model.release();
  }
}
