/// <reference lib="webworker" />
// The inference Worker: one onnxruntime-web session for one model version. It imports the ORT bundle that
// carries the backend it was asked for (onnxruntime#22885) and runs one inference at a time (two concurrent
// `run()` calls on one session fail). The runtime terminates it to swap versions: WASM memory never shrinks
// and a released WebGPU session can leave a destroyed device behind (onnxruntime#21673).
import type * as Ort from 'onnxruntime-web';
import {
  type Backend,
  type LoadedInfo,
  type OutputTensor,
  type TensorData,
  transferList,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol';

type OrtModule = typeof Ort;

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
let ort: OrtModule | undefined;
let session: Ort.InferenceSession | undefined;
let queue: Promise<unknown> = Promise.resolve();

const reply = (message: WorkerResponse, transfer: Transferable[] = []): void =>
  scope.postMessage(message, transfer);

const describeAdapter = (adapter: GpuAdapterLike): string => {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  return parts.length > 0 ? parts.join(' ').slice(0, 256) : 'unknown adapter';
};

async function importOrt(backend: Backend, baseUrl: string): Promise<OrtModule> {
  const file = backend === 'webgpu' ? 'ort.webgpu.min.mjs' : 'ort.wasm.min.mjs';
  const mod = (await import(/* @vite-ignore */ `${baseUrl}${file}`)) as OrtModule & { default?: OrtModule };
  return mod.InferenceSession ? mod : (mod.default as OrtModule);
}

const toTensor = (mod: OrtModule, t: TensorData): Ort.Tensor =>
  new mod.Tensor(t.dtype ?? 'float32', t.data as Float32Array, t.dims);

function declaredDims(s: Ort.InferenceSession): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const meta of s.inputMetadata) {
    const shape = meta.isTensor ? meta.shape : [];
    out[meta.name] = shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  }
  return out;
}

async function load(request: Extract<WorkerRequest, { type: 'load' }>): Promise<void> {
  let adapter: string | undefined;
  if (request.backend === 'webgpu') {
    const gpu = (scope.navigator as unknown as { gpu?: GpuLike }).gpu;
    if (!gpu) throw Object.assign(new Error('navigator.gpu is not available'), { kind: 'no_adapter' });
    const found = await gpu.requestAdapter();
    if (!found) throw Object.assign(new Error('requestAdapter() returned null'), { kind: 'no_adapter' });
    adapter = describeAdapter(found);
  }
  ort = await importOrt(request.backend, request.ortBaseUrl);
  ort.env.wasm.wasmPaths = request.ortBaseUrl;
  ort.env.wasm.numThreads = request.threads;
  ort.env.wasm.proxy = false;
  session = await ort.InferenceSession.create(new Uint8Array(request.model), {
    executionProviders: [request.backend],
    graphOptimizationLevel: 'all',
  });
  const inputDims = declaredDims(session);
  const started = performance.now();
  const feeds: Record<string, Ort.Tensor> = {};
  for (const name of session.inputNames) {
    const declared = inputDims[name] ?? [];
    const given = request.warmupDims;
    const dims = declared.map((d, i) => (d > 0 ? d : (given?.[i] ?? 1)));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[name] = toTensor(ort, { data: new Float32Array(size), dims });
  }
  const warm = await session.run(feeds);
  for (const t of Object.values(warm)) t.dispose();
  const info: LoadedInfo = {
    backend: request.backend,
    threads: ort.env.wasm.numThreads ?? request.threads,
    ...(adapter ? { adapter } : {}),
    runtimeVersion: `onnxruntime-web ${ort.env.versions.web ?? ''}`.trim(),
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    inputDims,
    warmupMs: performance.now() - started,
  };
  reply({ type: 'loaded', id: request.id, info });
}

async function run(request: Extract<WorkerRequest, { type: 'run' }>): Promise<void> {
  if (!ort || !session) throw new Error('no model loaded in this worker');
  const feeds: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(request.inputs)) feeds[name] = toTensor(ort, t);
  const started = performance.now();
  const results = await session.run(feeds);
  const inferMs = performance.now() - started;
  const outputs: Record<string, OutputTensor> = {};
  for (const [name, tensor] of Object.entries(results)) {
    const data = (await tensor.getData()) as Float32Array;
    const values = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    outputs[name] = { data: values, dims: [...tensor.dims] };
    tensor.dispose();
  }
  // Outputs and the inputs (back to the page, which may read them for telemetry) move, never copied.
  const transfer = transferList([...Object.values(outputs), ...Object.values(request.inputs)]);
  reply({ type: 'result', id: request.id, outputs, inputs: request.inputs, inferMs }, transfer);
}

scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  // One call at a time on the session: runs are queued in arrival order.
  queue = queue.then(async () => {
    try {
      if (request.type === 'load') await load(request);
      else await run(request);
    } catch (error) {
      const tagged = (error as { kind?: string }).kind;
      const kind =
        tagged === 'no_adapter'
          ? 'no_adapter'
          : request.type === 'load'
            ? 'backend_failed'
            : 'inference_failed';
      reply({
        type: 'error',
        id: request.id,
        kind,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
};
