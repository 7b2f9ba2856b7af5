import { type PreprocessingSpec, preprocessImage, type RawImage } from '@edgefleet/shared';
import { RuntimeError } from '../errors';
import type { TensorData } from './protocol';

/** Anything with pixels the browser can draw. */
export type ImageInput = ImageData | ImageBitmap | HTMLCanvasElement | OffscreenCanvas | HTMLImageElement;

/** A ready tensor: values already preprocessed, laid out as the model expects. */
export interface TensorInput {
  data: Float32Array | Uint16Array | Uint8Array | Int8Array;
  dims: readonly number[];
}

/** What `infer` accepts. */
export type InferInput = ImageInput | TensorInput;

const isTensor = (input: InferInput): input is TensorInput =>
  'dims' in input && ArrayBuffer.isView((input as TensorInput).data);

function pixelsOf(input: ImageInput): RawImage {
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    return { data: input.data, width: input.width, height: input.height, channels: 4 };
  }
  const source = input as Exclude<ImageInput, ImageData>;
  const width = 'naturalWidth' in source ? source.naturalWidth : source.width;
  const height = 'naturalHeight' in source ? source.naturalHeight : source.height;
  if (!(width > 0 && height > 0))
    throw new RuntimeError('input_invalid', `image has no pixels (${width}×${height})`);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new RuntimeError('input_invalid', 'no 2d canvas context to read the image');
  ctx.drawImage(source as CanvasImageSource, 0, 0);
  const data = ctx.getImageData(0, 0, width, height);
  return { data: data.data, width, height, channels: 4 };
}

/**
 * Turns an `infer` input into the model's input tensor (`owned`: a new buffer of the runtime's, free to move): images through the shared preprocessing (the same
 * numbers as the agent), tensors checked against the declared dims (symbolic dims, -1, match anything).
 */
export function toInputTensor(
  input: InferInput,
  spec: PreprocessingSpec,
  declaredDims: readonly number[] | undefined,
): TensorData & { image: boolean; owned: boolean } {
  if (isTensor(input)) {
    const dims = [...input.dims];
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== input.data.length) {
      const detached = input.data.buffer.byteLength === 0 && size > 0;
      throw new RuntimeError(
        'input_invalid',
        `dims [${dims}] hold ${size} values but data has ${input.data.length}${detached ? ' (its buffer is detached: was it given to an earlier infer with transfer: true?)' : ''}`,
      );
    }
    if (declaredDims) {
      const fits =
        declaredDims.length === dims.length && declaredDims.every((d, i) => d < 0 || d === dims[i]);
      if (!fits)
        throw new RuntimeError(
          'input_invalid',
          `input shape wrong: expected [${declaredDims}], got [${dims}]`,
        );
    }
    return { data: input.data, dims, dtype: spec.dtype, image: spec.kind === 'image', owned: false };
  }
  if (spec.kind !== 'image')
    throw new RuntimeError('input_invalid', 'this model takes tensors ({ data, dims }), not images');
  const tensor = preprocessImage(pixelsOf(input), spec);
  if (!tensor.ok) throw new RuntimeError('input_invalid', tensor.error.message);
  return { data: tensor.value.data, dims: tensor.value.dims, dtype: spec.dtype, image: true, owned: true };
}
