import type { ModelSignature, TensorSignature } from '@edgefleet/shared/api';
import { InferenceSession } from 'onnxruntime-node';
import { publicReason, UnprocessableContent } from '../errors';

type ValueMetadata = InferenceSession.ValueMetadata;

function tensorSignature(meta: ValueMetadata): TensorSignature {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', shape: [] };
  return {
    name: meta.name,
    type: meta.type,
    shape: meta.shape.map((dim) =>
      typeof dim === 'number' && dim >= 0 ? dim : typeof dim === 'string' ? dim : null,
    ),
  };
}

/** Opens a model file with onnxruntime-node (CPU, one thread) and reads its input/output signature. */
export async function readModelSignature(path: string): Promise<ModelSignature> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'disabled',
    });
  } catch (error) {
    throw new UnprocessableContent(`not a loadable ONNX model: ${publicReason(error)}`, { field: 'body' });
  }
  try {
    return {
      inputs: session.inputMetadata.map(tensorSignature),
      outputs: session.outputMetadata.map(tensorSignature),
    };
  } finally {
    await session.release();
  }
}
