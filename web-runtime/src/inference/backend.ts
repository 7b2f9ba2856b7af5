import { messageOf, RuntimeError } from '../errors';
import type { Backend } from './protocol';
import { type WorkerFactory, WorkerSession } from './session';

/** Which backend to use: `auto` tries WebGPU and falls back to WASM. */
export type BackendPreference = 'auto' | Backend;

/** A loaded session and why its backend was chosen. */
export interface BackendChoice {
  session: WorkerSession;
  backend: Backend;
  /** Why WebGPU is not used (absent when it is). */
  fallbackReason?: string;
}

/** WASM threads that will actually run: more than one only with cross-origin isolation (onnxruntime#19148). */
export function wasmThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/**
 * Loads the model in a fresh Worker on WebGPU when a real adapter exists and a warm-up run succeeds, else on
 * WASM with the reason. A failed WebGPU Worker is terminated, never reused (a backend that failed once is not
 * retried in that JS context).
 */
export async function loadOnBestBackend(options: {
  preference: BackendPreference;
  createWorker: WorkerFactory;
  ortBaseUrl: string;
  model: ArrayBuffer;
  warmupDims?: number[];
}): Promise<BackendChoice> {
  const common = {
    createWorker: options.createWorker,
    ortBaseUrl: options.ortBaseUrl,
    model: options.model,
    threads: wasmThreads(),
    ...(options.warmupDims ? { warmupDims: options.warmupDims } : {}),
  };
  let fallbackReason = 'WASM requested';
  if (options.preference !== 'wasm') {
    if (!('gpu' in navigator)) fallbackReason = 'navigator.gpu is not available';
    else {
      try {
        const session = await WorkerSession.load({ ...common, backend: 'webgpu' });
        return { session, backend: 'webgpu' };
      } catch (error) {
        const cause = (error as { cause?: { reason?: string } }).cause;
        fallbackReason = `webgpu failed: ${cause?.reason ?? messageOf(error)}`;
        if (options.preference === 'webgpu') throw error;
      }
    }
    if (options.preference === 'webgpu')
      throw new RuntimeError('backend_failed', `webgpu requested: ${fallbackReason}`);
  }
  const session = await WorkerSession.load({ ...common, backend: 'wasm' });
  return { session, backend: 'wasm', fallbackReason: fallbackReason.slice(0, 512) };
}
