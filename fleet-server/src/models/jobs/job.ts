// The job side of a model job (runs in its own process, see runner.ts): opens the model with onnxruntime-node,
// checks the golden pair, computes the baseline, and posts one JobMessage.
import { readFile } from 'node:fs/promises';
import { readModelSignature } from '../../artifacts/onnx';
import { FleetError } from '../../errors';
import { validateBaseline } from '../baseline';
import { readGoldenPair, verifyGoldenPair } from '../golden';
import { openServerModel } from '../inference';
import { computeReferenceBaseline, type ReferenceFile } from '../reference/baseline';
import { directoryReference } from '../reference/directory';
import { multipartReference, tarFileReference } from '../reference/sources';
import type { JobError, JobMessage, ModelJob, ModelJobResult, ReferenceSource } from './protocol';

async function* filesOf(source: ReferenceSource): AsyncGenerator<ReferenceFile> {
  if (source.kind === 'tar') yield* tarFileReference(source.path);
  else if (source.kind === 'dir') yield* directoryReference(source.path);
  else {
    if (source.tarPath) yield* tarFileReference(source.tarPath);
    yield* multipartReference(
      source.parts.map((p) => new File([p.bytes as Uint8Array<ArrayBuffer>], p.name)),
    );
  }
}

/** Runs `job` on this thread. */
export async function runJob(job: ModelJob): Promise<ModelJobResult> {
  const model = await openServerModel(job.modelPath);
  try {
    if (job.goldenPath) {
      const pair = readGoldenPair(await readFile(job.goldenPath), 'golden');
      await verifyGoldenPair(model, pair, 'golden');
    }
    if (!job.reference) return { baseline: null };
    const computed = await computeReferenceBaseline({
      model,
      signature: job.signature ?? (await readModelSignature(job.modelPath)),
      preprocessing: job.preprocessing,
      files: filesOf(job.reference.source),
      ...(job.reference.options ? { options: job.reference.options } : {}),
    });
    const baseline = validateBaseline({ spec: computed.spec, profile: computed.profile.toJSON() });
    return {
      baseline: { ...baseline, samples: computed.samples, files: computed.files, skipped: computed.skipped },
    };
  } finally {
    await model.release();
  }
}

function toJobError(error: unknown): JobError {
  if (error instanceof FleetError) {
    return { message: error.message, status: error.status, code: error.code, details: error.details };
  }
  const errno = (error as { code?: unknown }).code;
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(typeof errno === 'string' ? { errno } : {}),
  };
}

// A job process (runner.ts forks it): one job in, one JobMessage out, then exit.
if (process.send) {
  // The server went away (killed, or closing): nobody waits for the answer.
  process.once('disconnect', () => process.exit(1));
  process.once('message', (job: ModelJob) => {
    runJob(job).then(
      (result) => reply({ ok: true, result }),
      (error: unknown) => reply({ ok: false, error: toJobError(error) }),
    );
  });
}

function reply(message: JobMessage): void {
  process.send?.(message, undefined, {}, () => process.exit(0));
}
