/** Messages between the runtime and its inference Worker (one Worker per model version). */

/** Backends the runtime can run on. */
export type Backend = 'webgpu' | 'wasm';

/** Element types of input tensors (float16 travels as its bit patterns in a Uint16Array). */
export type InputDtype = 'float32' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64' | 'float64';

/** A dense tensor crossing the Worker boundary. Outputs are always float32. */
export interface TensorData {
  data: Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array | Float64Array;
  dims: number[];
  dtype?: InputDtype;
}

/** An output tensor. */
export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

/** Main thread → Worker. */
export type WorkerRequest =
  | {
      type: 'load';
      id: number;
      backend: Backend;
      /** Where onnxruntime-web's dist files are served (ends with `/`). */
      ortBaseUrl: string;
      model: ArrayBuffer;
      threads: number;
      /** Shape of the warm-up input when the model's own metadata has symbolic dims. */
      warmupDims?: number[];
    }
  /**
   * One inference. The input buffers are usually transferred (see `WorkerSession.run`); the Worker transfers them
   * back with the result, so the page reads them again (telemetry features) without a copy either way.
   */
  | { type: 'run'; id: number; inputs: Record<string, TensorData> };

/** What a loaded session reports about itself. */
export interface LoadedInfo {
  backend: Backend;
  threads: number;
  adapter?: string;
  runtimeVersion: string;
  inputNames: string[];
  outputNames: string[];
  /** Input dims as the model declares them; symbolic dims are -1. */
  inputDims: Record<string, number[]>;
  warmupMs: number;
}

/** Worker → main thread. */
export type WorkerResponse =
  | { type: 'loaded'; id: number; info: LoadedInfo }
  | {
      type: 'result';
      id: number;
      outputs: Record<string, OutputTensor>;
      /** The run's input tensors, handed back (transferred) after the run. */
      inputs: Record<string, TensorData>;
      inferMs: number;
    }
  | {
      type: 'error';
      id: number;
      kind: 'no_adapter' | 'backend_failed' | 'inference_failed';
      message: string;
    };

/**
 * The distinct buffers under `tensors`, for a `postMessage` transfer list (each once: listing a buffer twice
 * throws). A SharedArrayBuffer is never listed: it is shared, not copied, and cannot be transferred.
 */
export function transferList(tensors: Iterable<{ data: ArrayBufferView }>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of tensors) {
    const buffer = t.data.buffer;
    if (buffer instanceof ArrayBuffer) buffers.add(buffer);
  }
  return [...buffers];
}
