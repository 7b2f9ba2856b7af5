import type { HostTensor } from '@edgefleet/shared';
import type { ModelSignature } from '@edgefleet/shared/api';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { publicReason, UnprocessableContent } from '../errors';

/** A model opened on the server (CPU, one thread) to check golden pairs and compute baselines. */
export interface ServerModel {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Runs the model; outputs by name. Model errors (shape, type) become UnprocessableContent naming `field`. */
  run(inputs: Record<string, HostTensor>, field: string): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

/** Opens a stored model with onnxruntime-node; explicit threads (containers mis-detect cores, ort #8313). */
export async function openServerModel(path: string): Promise<ServerModel> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
  } catch (error) {
    throw new UnprocessableContent(`model could not be loaded: ${reason(error)}`, { field: 'sha256' });
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs, field) {
      const feeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(inputs)) feeds[name] = new Tensor(t.dtype, t.data, t.dims);
      let results: InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(feeds);
      } catch (error) {
        throw new UnprocessableContent(`${field}: the model failed on this input: ${reason(error)}`, {
          field,
        });
      }
      const outputs: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(results)) {
        const tensor = value as Tensor;
        outputs[name] = {
          dtype: tensor.type as HostTensor['dtype'],
          dims: [...tensor.dims],
          data: tensor.data as HostTensor['data'],
        };
      }
      return outputs;
    },
    release: () => session.release(),
  };
}

const reason = publicReason;

/** The input a preprocessing spec feeds: `inputName`, or the model's only input. */
export function modelInputName(
  signature: Pick<ModelSignature, 'inputs'>,
  inputName: string | undefined,
): string {
  if (inputName !== undefined) return inputName;
  const [first, ...rest] = signature.inputs;
  if (!first || rest.length > 0) {
    throw new UnprocessableContent(
      `preprocessing.inputName is required for a model with ${signature.inputs.length} inputs`,
      { field: 'preprocessing.inputName', inputs: signature.inputs.map((i) => i.name) },
    );
  }
  return first.name;
}
