import {
  type AppPlan,
  type Automation,
  DEFAULT_AUTOMATION,
  DEFAULT_FEEDBACK_TTL_MS,
  DEFAULT_WINDOW_MS,
  importKeyRing,
  type KeyRing,
  type RuntimeInfo,
} from '@edgefleet/shared';
import { type CapturePolicy, MAX_SAMPLE_BYTES } from '@edgefleet/shared/capture';
import { ModelCache } from './artifacts/cache';
import type { Capture, InferenceSeen } from './capture/capture';
import { messageOf, RuntimeError } from './errors';
import { Emitter } from './events';
import { FeedbackIntake, type FeedbackResult } from './feedback/intake';
import { PredictionStore } from './feedback/predictions';
import { FleetClient } from './fleet/client';
import type { BackendPreference } from './inference/backend';
import type { InferInput, TensorInput } from './inference/input';
import type { Backend } from './inference/protocol';
import { defaultWorkerFactory } from './inference/session';
import type { InferOptions, InferResult, RuntimeEvents, RuntimeOptions, RuntimeStatus } from './options';
import { followPlan } from './plan/link';
import { type Selection, selectModel } from './plan/select';
import { inferOn } from './serving/infer';
import { openStore, type Store, startClient } from './storage/db';
import { Reporter, type WindowState } from './telemetry/reporter';
import type { TelemetryWindow } from './telemetry/window';
import type { GoldenPolicy } from './versions/golden';
import { type PreparedVersion, prepareVersion } from './versions/prepare';

/** The model version being served. */
type Active = PreparedVersion;

const DEFAULT_OUTBOX_REPORTS = 1_000;
const DEFAULT_MAX_PREDICTIONS = 10_000;

/**
 * Creates a runtime for one model of one app: reads the app plan, buckets this browser, downloads (or takes from
 * the cache) and verifies the version it should run, loads it in a Worker on the best backend and keeps following
 * the plan. Rejects with a {@link RuntimeError} (`no_model`, `signature_invalid`, `integrity`, `backend_failed`, …).
 * @example
 * const rt = await createRuntime({ server: 'https://fleet.example', app: 'inspector', key, model: 'defect' });
 * const { output } = await rt.infer(imageData);
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const store = await openStore(options.dbName ?? `edgefleet-${options.app}`);
  const runtime = new Runtime(options, store, await startClient(store));
  try {
    await runtime.start();
    return runtime;
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/** A running browser runtime; see {@link createRuntime}. */
export class Runtime {
  private readonly events = new Emitter<RuntimeEvents>();
  private readonly fleetClient: FleetClient;
  private readonly cache: ModelCache;
  private readonly server: string;
  private readonly preference: BackendPreference;
  private keys: KeyRing | undefined;
  private active: Active | undefined;
  /** Runtime info of the version served before the plan withdrew the model (status still reports it). */
  private withdrawnInfo: RuntimeInfo | undefined;
  private reporter: Reporter | undefined;
  private stopLink: (() => Promise<void>) | undefined;
  private appliedRev = 0;
  private connected = false;
  private switching: Promise<void> = Promise.resolve();
  private closed = false;
  /** The model's automation level from the last applied plan. */
  private automation: Automation = DEFAULT_AUTOMATION;
  private readonly predictions: PredictionStore;
  private readonly labels: FeedbackIntake;
  /** The capture chunk, loaded when a plan first carries a capture policy for the model (or samples wait). */
  private capture: Capture | undefined;

  /** @internal use {@link createRuntime} */
  constructor(
    private readonly options: RuntimeOptions,
    private readonly store: Store,
    /** This browser's persisted client id and this start's epoch. */
    readonly client: { clientId: string; epoch: number },
  ) {
    this.server = options.server.replace(/\/+$/, '');
    this.fleetClient = new FleetClient(this.server, options.key, store);
    this.cache = new ModelCache(store, options.keepVersions ?? 2);
    this.preference = options.backend ?? 'auto';
    this.predictions = new PredictionStore(store, {
      ttlMs: options.feedback?.ttlMs ?? DEFAULT_FEEDBACK_TTL_MS,
      maxPredictions: options.feedback?.maxPredictions ?? DEFAULT_MAX_PREDICTIONS,
      onWriteFailed: (error) =>
        this.events.emit('error', new RuntimeError('storage', `predictions not kept: ${messageOf(error)}`)),
    });
    this.labels = new FeedbackIntake(this.predictions, (model) => {
      const window = this.active?.window;
      return window && window.model.name === model.name && window.model.version === model.version
        ? window
        : undefined;
    });
  }

  /** Backend the served version runs on. */
  get backend(): Backend {
    return this.require().backend;
  }
  /** Why that backend: the adapter that passed warm-up, or why WebGPU was not used. */
  get backendReason(): string {
    return this.require().reason;
  }
  /** Version being served. */
  get version(): string {
    return this.require().manifest.version;
  }
  /** Backend, threads, adapter and fallback reason, as reported in telemetry. */
  get info(): RuntimeInfo {
    return this.require().runtime;
  }
  get clientId(): string {
    return this.client.clientId;
  }

  /** Subscribes to `progress`, `version`, `status` or `error`; returns the unsubscribe function. */
  on<K extends keyof RuntimeEvents>(name: K, listener: (event: RuntimeEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Runs the served model on an image (preprocessed per the version's signed spec) or a tensor. Calls that start
   * before a version switch finish on the old version. One message goes to the model's Worker and one comes back;
   * tensors cross without a structured-clone copy, and with `{ transfer: true }` without any copy: the caller's
   * buffer moves to the Worker and is detached from then on.
   * @example const { output } = await rt.infer(pixels, [1, 3, 48, 192], { transfer: true }); // pixels.byteLength === 0 now
   */
  infer(input: InferInput, options?: InferOptions): Promise<InferResult>;
  infer(data: Float32Array, dims: readonly number[], options?: InferOptions): Promise<InferResult>;
  async infer(
    input: InferInput | Float32Array,
    dimsOrOptions?: readonly number[] | InferOptions,
    options?: InferOptions,
  ): Promise<InferResult> {
    const flat = input instanceof Float32Array;
    const given: InferInput = flat
      ? ({ data: input, dims: (dimsOrOptions as readonly number[] | undefined) ?? [] } as TensorInput)
      : input;
    const opts = (flat ? options : (dimsOrOptions as InferOptions | undefined)) ?? {};
    const capture = this.capture;
    return inferOn(
      this.require(),
      given,
      {
        automation: this.automation,
        predictions: this.predictions,
        ...(capture ? { seen: (inference: InferenceSeen) => capture.seen(inference) } : {}),
      },
      opts,
    );
  }

  /**
   * An operator's label for a prediction of this browser (`predictionId` from `infer`), counted once into the
   * telemetry window of the version that made it. Rejects with a {@link RuntimeError}: `unknown_prediction`,
   * `duplicate_label`, `label_expired` (later than `feedback.ttlMs`), `invalid_label` (not a class of the
   * version), `window_full` (the window holds as many labels as inferences: send it again after the next
   * window), `input_invalid`.
   * @example await rt.feedback(result.predictionId, '180');
   */
  feedback(predictionId: string, label: string): Promise<FeedbackResult> {
    if (this.closed) return Promise.reject(new RuntimeError('closed', 'the runtime is closed'));
    return this.labels.submit(predictionId, label).then((counted) => {
      this.capture?.labelled(predictionId, label);
      return counted;
    });
  }

  /** Closes the current telemetry window into the outbox and tries to send it; never throws when offline. */
  async flush(): Promise<RuntimeStatus> {
    if (this.reporter) {
      await this.reporter.closeWindow();
      await this.reporter.send();
    }
    return this.status();
  }

  /** Connection, outbox and backend state. */
  async status(): Promise<RuntimeStatus> {
    const telemetry = this.reporter
      ? await this.reporter.status()
      : {
          buffered: 0,
          delivered: 0,
          online: true,
          overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
        };
    const runtime = this.active || !this.withdrawnInfo ? this.info : this.withdrawnInfo;
    const feedback = {
      ...structuredClone(this.labels.counters),
      predictionWriteFailures: this.predictions.writeFailures,
    };
    const capture = await this.capture?.status();
    return {
      ...telemetry,
      connected: this.connected,
      planRev: this.appliedRev,
      runtime,
      feedback,
      ...(capture ? { capture } : {}),
    };
  }

  /** Stops following the plan, writes the open window to the outbox and terminates the Worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopLink?.().catch(() => undefined);
    if (this.reporter) {
      this.reporter.close();
      await this.reporter.closeWindow().catch(() => undefined);
    }
    this.active?.session.terminate();
    await this.capture?.close();
    await this.predictions.settled();
    this.store.close();
  }

  /** @internal */
  async start(): Promise<void> {
    const fleet = await this.fleetClient.fleet();
    const ring = await importKeyRing(this.options.signingKeys ?? fleet.signingKeys);
    if (!ring.ok) throw new RuntimeError('signature_invalid', `signing keys: ${ring.error.message}`);
    this.keys = ring.value;
    const plan = await this.fleetClient.plan();
    if (!plan)
      throw new RuntimeError('no_model', `app ${this.options.app} has no plan yet (no rollout targets it)`);
    await this.applyPlan(plan, true);
    if (this.options.telemetry !== false) {
      const t = this.options.telemetry ?? {};
      this.reporter = new Reporter(
        {
          store: this.store,
          server: this.server,
          key: this.options.key,
          ...this.client,
          windowMs: t.windowMs ?? plan.telemetry.windowMs ?? DEFAULT_WINDOW_MS,
          maxReports: t.maxReports ?? plan.telemetry.outboxMaxReports ?? DEFAULT_OUTBOX_REPORTS,
          ...(t.retryMs ? { retryMs: t.retryMs } : {}),
          onStatus: () => void this.status().then((s) => this.events.emit('status', s)),
        },
        () => (this.active ? this.windowState(this.active.window, this.active.runtime) : undefined),
      );
      this.reporter.start();
    }
    if (this.options.live !== false) {
      const url = this.options.mqttUrl ?? `${this.server.replace(/^http/, 'ws')}/mqtt`;
      this.stopLink = await followPlan({
        url,
        fleet: fleet.fleet,
        appId: this.options.app,
        key: this.options.key,
        clientId: this.client.clientId,
        onPlan: (next) => void this.applyPlan(next, false),
        onConnection: (connected) => {
          if (connected === this.connected) return;
          this.connected = connected;
          void this.status().then((s) => this.events.emit('status', s));
        },
        onRejected: (reason) =>
          this.events.emit('error', new RuntimeError('network', `app plan refused: ${reason}`)),
      });
    }
  }

  /** Applies a plan with a higher rev than the last: switches version if this client's selection changed. */
  private applyPlan(plan: AppPlan, initial: boolean): Promise<void> {
    const next = this.switching.then(async () => {
      if (this.closed || plan.rev <= this.appliedRev) return;
      const selection = selectModel(plan, this.options.model, this.client.clientId);
      if (!selection) {
        const error = new RuntimeError(
          'no_model',
          `the plan of app ${this.options.app} has no model ${this.options.model}`,
        );
        if (initial) throw error;
        // The fleet took the model away (e.g. a first deployment rolled back): stop serving it.
        this.appliedRev = plan.rev;
        this.capture?.setPolicy(undefined);
        this.withdraw();
        this.events.emit('error', error);
        return;
      }
      // The level is the model's in this app, whichever version serves it.
      this.automation = selection.automation;
      await this.followCapture(selection.capture);
      // Same bytes are not the same version (v2 may be v1's network with new metadata and baseline).
      const current = this.active?.manifest;
      const wanted = selection.ref.manifest;
      if (current?.sha256 === wanted.sha256 && current.version === wanted.version) {
        this.appliedRev = plan.rev;
        return;
      }
      try {
        await this.activate(selection, plan.policies.golden);
        this.appliedRev = plan.rev;
        if (this.options.telemetry === undefined) this.reporter?.setWindowMs(plan.telemetry.windowMs);
      } catch (error) {
        // A version that fails any step is never served; the previous one keeps serving.
        if (initial) throw error;
        this.events.emit(
          'error',
          error instanceof RuntimeError ? error : new RuntimeError('backend_failed', messageOf(error)),
        );
      }
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  /**
   * Loads the capture chunk when a policy first appears (or samples wait from an earlier page) and hands it the
   * policy; without either, nothing is imported and `infer` pays nothing.
   */
  private async followCapture(policy: CapturePolicy | undefined): Promise<void> {
    if (!this.capture) {
      if (!policy && (await this.store.count('samples')) === 0) return;
      try {
        const { Capture } = await import('./capture/index');
        if (this.closed) return;
        this.capture = new Capture({
          db: this.store,
          server: this.server,
          key: this.options.key,
          clientId: this.client.clientId,
          maxSampleBytes: MAX_SAMPLE_BYTES,
          // Samples go only when the telemetry outbox is empty: telemetry is never delayed behind them.
          // (and not before the reporter started: an earlier page's reports go first).
          telemetryPending: async () =>
            this.options.telemetry !== false && (!this.reporter || (await this.reporter.outbox.count()) > 0),
          ...(this.options.capture ? { options: this.options.capture } : {}),
        });
      } catch (error) {
        this.events.emit('error', new RuntimeError('network', `capture not loaded: ${messageOf(error)}`));
        return;
      }
    }
    this.capture.setPolicy(policy);
  }

  private async activate(selection: Selection, golden: GoldenPolicy): Promise<void> {
    const prepared = await prepareVersion(selection, {
      server: this.server,
      key: this.options.key,
      keys: this.keys!,
      cache: this.cache,
      fleet: this.fleetClient,
      preference: this.preference,
      createWorker: this.options.createWorker ?? defaultWorkerFactory,
      ortBaseUrl: this.options.ortBaseUrl ?? new URL('/ort/', location.href).toString(),
      telemetry: this.options.telemetry !== false,
      store: this.store,
      golden,
      onProgress: (event) => this.events.emit('progress', event),
      onWarning: (error) => this.events.emit('error', error),
      onRefused: (window, runtime) => void this.reporter?.closeWindow(this.windowState(window, runtime)),
    });
    const previous = this.active;
    this.active = prepared;
    const { name, version } = prepared.manifest;
    this.events.emit('version', {
      name,
      version,
      ...(previous ? { previous: previous.manifest.version } : {}),
      backend: prepared.backend,
      role: selection.role,
    });
    if (previous) {
      // In-flight calls finish on the old Worker; its last window is reported once they have.
      void previous.session
        .retire()
        .then(() => this.reporter?.closeWindow(this.windowState(previous.window, previous.runtime)));
    }
  }

  /** Stops serving: `infer` rejects with `no_model` until a plan gives this client a version again. */
  private withdraw(): void {
    const previous = this.active;
    if (!previous) return;
    this.active = undefined;
    this.withdrawnInfo = previous.runtime;
    void previous.session
      .retire()
      .then(() => this.reporter?.closeWindow(this.windowState(previous.window, previous.runtime)));
  }

  /** A closing window with what it reports beside its statistics: the capture counters, once capture ran. */
  private windowState(window: TelemetryWindow | undefined, runtime: RuntimeInfo): WindowState | undefined {
    if (!window) return undefined;
    const capture = this.capture?.counters();
    return { window, runtime, ...(capture ? { software: { capture } } : {}) };
  }

  private require(): Active {
    if (this.active) return this.active;
    if (!this.closed && this.withdrawnInfo)
      throw new RuntimeError(
        'no_model',
        `the plan of app ${this.options.app} has no model ${this.options.model}`,
      );
    throw new RuntimeError('closed', 'the runtime has no model loaded');
  }
}
