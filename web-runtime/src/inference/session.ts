import { RuntimeError } from '../errors';
import {
  type Backend,
  type LoadedInfo,
  type OutputTensor,
  type TensorData,
  transferList,
  type WorkerRequest,
  type WorkerResponse,
} from './protocol';

/** How to start the inference Worker; the default works with Vite and other bundlers that understand `new URL(…, import.meta.url)`. */
export type WorkerFactory = () => Worker;

export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'edgefleet-inference' });

/** Result of one run in the Worker. */
export interface RunResult {
  outputs: Record<string, OutputTensor>;
  /** The inputs as the Worker handed them back (the same memory when they were transferred). */
  inputs: Record<string, TensorData>;
  inferMs: number;
}

type Pending = { resolve: (message: WorkerResponse) => void; reject: (error: Error) => void };

/**
 * One model version loaded in its own Worker. Runs are queued (in the Worker) and counted here, so that
 * `retire()` terminates the Worker only after the calls already made have finished.
 */
export class WorkerSession {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private inFlight = 0;
  private retiring = false;
  private terminated = false;
  private idle: (() => void) | undefined;
  info: LoadedInfo | undefined;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => {
      const waiter = this.pending.get(event.data.id);
      if (!waiter) return;
      this.pending.delete(event.data.id);
      waiter.resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.failAll(
        new RuntimeError('backend_failed', `inference worker failed: ${event.message || 'error'}`),
      );
    };
  }

  /**
   * Starts a Worker, loads the model on `backend` and warms it up with one run. Rejects with a RuntimeError
   * (`backend_failed`; `cause.noAdapter` when WebGPU had no adapter) and leaves no Worker behind.
   */
  static async load(options: {
    createWorker: WorkerFactory;
    backend: Backend;
    ortBaseUrl: string;
    model: ArrayBuffer;
    threads: number;
    warmupDims?: number[];
  }): Promise<WorkerSession> {
    const session = new WorkerSession(options.createWorker());
    const request: WorkerRequest = {
      type: 'load',
      id: 0,
      backend: options.backend,
      ortBaseUrl: options.ortBaseUrl,
      model: options.model,
      threads: options.threads,
      ...(options.warmupDims ? { warmupDims: options.warmupDims } : {}),
    };
    try {
      const answer = await session.call(request, []);
      if (answer.type === 'error') {
        throw new RuntimeError('backend_failed', `${options.backend}: ${answer.message}`, {
          cause: { noAdapter: answer.kind === 'no_adapter', reason: answer.message },
        });
      }
      if (answer.type !== 'loaded') throw new RuntimeError('backend_failed', 'unexpected worker answer');
      session.info = answer.info;
      return session;
    } catch (error) {
      session.terminate();
      throw error;
    }
  }

  /**
   * Runs the model once: one message to the Worker and one back. With `transfer`, the inputs' buffers move to
   * the Worker (detached here until the result hands them back in `inputs`); without, they are cloned.
   */
  async run(inputs: Record<string, TensorData>, options: { transfer?: boolean } = {}): Promise<RunResult> {
    if (this.terminated) throw new RuntimeError('closed', 'this model version was unloaded');
    this.inFlight++;
    try {
      const transfer = options.transfer ? transferList(Object.values(inputs)) : [];
      const answer = await this.call({ type: 'run', id: 0, inputs }, transfer);
      if (answer.type === 'result')
        return { outputs: answer.outputs, inputs: answer.inputs, inferMs: answer.inferMs };
      if (answer.type === 'error') throw new RuntimeError('inference_failed', answer.message);
      throw new RuntimeError('inference_failed', 'unexpected worker answer');
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  /** Terminates the Worker once the runs already started have finished (a version swap). */
  async retire(): Promise<void> {
    this.retiring = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    this.terminate();
  }

  get isRetiring(): boolean {
    return this.retiring;
  }

  /** Terminates at once; pending calls reject with `closed`. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate();
    this.failAll(new RuntimeError('closed', 'the inference worker was terminated'));
  }

  private call(request: WorkerRequest, transfer: Transferable[]): Promise<WorkerResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
