import { stat } from 'node:fs/promises';
import type { PreprocessingSpec } from '@edgefleet/shared';
import type { Baseline } from '../baseline';
import { type JobBudget, runModelJob } from '../jobs/runner';
import type { ReferenceOptions } from './baseline';

export { directoryReference } from './directory';

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
  /** Default: an hour and 4 GiB, a workstation's budget. */
  budget?: JobBudget;
}): Promise<Baseline & { samples: number; files: number; skipped: string[] }> {
  const isDir = (await stat(args.reference)).isDirectory();
  // In a job process like the server's, so this process keeps answering its sockets (a stalled event loop misses the
  // server closing an idle keep-alive connection, and the next request fails with "other side closed").
  const { baseline } = await runModelJob(
    {
      modelPath: args.modelPath,
      preprocessing: args.preprocessing,
      reference: {
        source: { kind: isDir ? 'dir' : 'tar', path: args.reference },
        ...(args.options ? { options: args.options } : {}),
      },
    },
    args.budget ?? { timeoutMs: 3_600_000, memoryMb: 4096 },
  );
  if (!baseline) throw new Error('model job computed no baseline');
  return baseline;
}
