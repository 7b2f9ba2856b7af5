import type { TensorData, TensorDtype } from '@edgefleet/shared';
import * as ort from 'onnxruntime-node';

/** A tensor as the agent passes it around: typed data plus dims. */
export interface AgentTensor {
  data: TensorData | Float64Array | Int32Array | BigInt64Array;
  dims: readonly number[];
  dtype: TensorDtype | 'float64' | 'int32' | 'int64' | 'bool';
}

/** Wraps an agent tensor for onnxruntime (float16 data are bit patterns in a Uint16Array). */
export function toOrtTensor(t: AgentTensor): ort.Tensor {
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
}

/** Copies nothing: views an onnxruntime output as an agent tensor. */
export function fromOrtTensor(t: ort.Tensor): AgentTensor {
  return { data: t.data as AgentTensor['data'], dims: t.dims, dtype: t.type as AgentTensor['dtype'] };
}

/** Elements a dims list describes; NaN for a non-integer or negative dim. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return Number.NaN;
    n *= d;
  }
  return n;
}

type TypedArrayCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): AgentTensor['data'];
  readonly BYTES_PER_ELEMENT: number;
};

/** The typed array each onnxruntime dtype travels in (float16 as bit patterns, bool as bytes). */
export const TENSOR_ARRAYS: Readonly<Record<string, TypedArrayCtor>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
} as unknown as Record<string, TypedArrayCtor>;
