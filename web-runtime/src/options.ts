import type { Decision, PublicJwk, RuntimeInfo } from '@edgefleet/shared';
import type { ProgressEvent } from './artifacts/download';
import type { CaptureOptions, CaptureStatus } from './capture/capture';
import type { RuntimeError } from './errors';
import type { FeedbackCounters } from './feedback/intake';
import type { BackendPreference } from './inference/backend';
import type { Backend, OutputTensor } from './inference/protocol';
import type { WorkerFactory } from './inference/session';
import type { TelemetryStatus } from './telemetry/reporter';

/** Options of `createRuntime`. Only `server`, `app`, `key` and `model` are required. */
export interface RuntimeOptions {
  /** Fleet server base URL, e.g. `https://fleet.example`. */
  server: string;
  /** App id. */
  app: string;
  /** The app's publishable key (`efp_…`). */
  key: string;
  /** Model name in the app plan. */
  model: string;
  /** `auto` (default): WebGPU when an adapter exists and the warm-up passes, else WASM. */
  backend?: BackendPreference;
  /** Where the app serves `onnxruntime-web/dist/` (the .mjs and .wasm files); default `/ort/` of the page. */
  ortBaseUrl?: string;
  /** Starts the inference Worker; default: the bundled worker via `new URL('./worker.ts', import.meta.url)`. */
  createWorker?: WorkerFactory;
  /** Pinned signing keys; default: the fleet's keys from `GET /api/v1/fleet`, cached after the first start. */
  signingKeys?: PublicJwk[];
  /** Follow plan changes over MQTT over WebSocket (default true). */
  live?: boolean;
  /** MQTT over WebSocket URL; default `ws(s)://<server host>/mqtt`. */
  mqttUrl?: string;
  /** Telemetry window and outbox bound; default: the plan's. `false` disables telemetry. */
  telemetry?: { windowMs?: number; maxReports?: number; retryMs?: number } | false;
  /** IndexedDB database name; default `edgefleet-<app>`. */
  dbName?: string;
  /** Cached versions kept per model (default 2). */
  keepVersions?: number;
  /**
   * Operator labels (`rt.feedback`): how long after a prediction a label is taken (default 24 h) and how many
   * predictions IndexedDB keeps for them (default 10 000, oldest evicted first).
   */
  feedback?: { ttlMs?: number; maxPredictions?: number };
  /**
   * Sample capture, when the app plan carries a capture policy for the model: queue bounds in IndexedDB (default
   * 200 samples, 20 MB), upload retry and pacing, inputs kept for disagreeing labels (default 16).
   */
  capture?: CaptureOptions;
}

/** Options of one `infer` call. */
export interface InferOptions {
  /**
   * Moves a tensor input's buffer to the model's Worker instead of copying it (zero-copy): after the call starts,
   * `data` is detached (`byteLength` 0) and the caller must not use it again — the whole `ArrayBuffer` under the
   * view moves. Default false: the runtime copies the values once (the caller keeps its buffer). Images are
   * always moved without copying, as their tensor is the runtime's own.
   */
  transfer?: boolean;
}

/** What `infer` returns. */
export interface InferResult {
  /** The first output's values and dims (most models have one). */
  output: Float32Array;
  dims: number[];
  /** Every output by name. */
  outputs: Record<string, OutputTensor>;
  /** Model version that produced it. */
  version: string;
  backend: Backend;
  /** End-to-end milliseconds (preprocessing, Worker round trip, inference). */
  latencyMs: number;
  /** Names this prediction in `rt.feedback(predictionId, label)`. */
  predictionId: string;
  /**
   * Who decides, by the automation level the app plan gives the model: `{ route: 'auto' | 'review', reason }`.
   * `shadow` and `assist` go to review, `partial` decides alone when top-1 confidence ≥ τ and margin ≥ μ, `full`
   * (or no level) always.
   */
  decision: Decision;
  /** The top class of a classifier (its profile spec names classes): the suggestion to show a reviewer. */
  top?: { label: string; index: number; confidence: number; margin: number };
}

/** A model version switch. */
export interface VersionEvent {
  name: string;
  version: string;
  previous?: string;
  backend: Backend;
  role: 'current' | 'candidate';
}

/** Runtime events. */
export interface RuntimeEvents extends Record<string, unknown> {
  progress: ProgressEvent;
  version: VersionEvent;
  /** Telemetry and connection state changed. */
  status: RuntimeStatus;
  /** Something failed in the background (a refused plan, a failed download); the previous version keeps serving. */
  error: RuntimeError;
}

/** Connection and telemetry state. */
export interface RuntimeStatus extends TelemetryStatus {
  /** MQTT plan link connected. */
  connected: boolean;
  planRev: number;
  runtime: RuntimeInfo;
  /** Labels counted and refused (by kind); predictions that could not be kept (their labels will be unknown). */
  feedback: FeedbackCounters & { predictionWriteFailures: number };
  /** Captured samples: queued, uploaded, refused by budget or server, dropped (present once capture started). */
  capture?: CaptureStatus;
}
