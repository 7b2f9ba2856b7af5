/**
 * `@edgefleet/web-runtime`: fleet-managed ONNX models in the browser.
 * @example
 * const rt = await createRuntime({ server: 'https://fleet.example', app: 'inspector', key: 'efp_…', model: 'defect' });
 * rt.on('progress', (e) => console.log(e.loadedBytes, e.totalBytes, e.cached));
 * const { output } = await rt.infer(imageData);
 * console.log(rt.version, rt.backend, rt.backendReason);
 */
export type { ProgressEvent } from './artifacts/download';
export { RuntimeError, type RuntimeErrorKind } from './errors';
export type { BackendPreference } from './inference/backend';
export type { ImageInput, InferInput, TensorInput } from './inference/input';
export type { Backend, OutputTensor } from './inference/protocol';
export type { WorkerFactory } from './inference/session';
export type {
  InferOptions,
  InferResult,
  RuntimeEvents,
  RuntimeOptions,
  RuntimeStatus,
  VersionEvent,
} from './options';
export { selectModel } from './plan/select';
export { createRuntime, Runtime } from './runtime';
export type { TelemetryStatus } from './telemetry/reporter';
