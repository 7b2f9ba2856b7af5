import { randomUUID } from 'node:crypto';
import {
  type Automation,
  DEFAULT_AUTOMATION,
  type Decision,
  decideRoute,
  type ModelVersionId,
} from '@edgefleet/shared';
import type { FeatureSpec } from '@edgefleet/shared/profile';
import type { Logger } from 'pino';
import { AgentError } from '../errors';
import type { KeptPrediction } from '../feedback';
import type { ModelSession } from '../runtime/model-session';
import type { AgentTensor } from '../runtime/tensor';
import {
  type InferenceTimings,
  observeInput,
  observeOutput,
  observeTimings,
  type TopClass,
  topClass,
} from '../telemetry/observe';
import type { TelemetryWindows } from '../telemetry/windows';
import { type InferInput, toModelTensor } from './input';
import { compareOutputs } from './shadow';

/** What an inference returns to its caller. */
export interface InferResult {
  predictionId: string;
  model: ModelVersionId;
  outputs: Record<string, AgentTensor>;
  top?: TopClass;
  /** Who decides: the model (`auto`) or a human (`review`), by the deployment's automation level. */
  decision: Decision;
  latencyMs: InferenceTimings;
}

/**
 * One answered inference of the active version as the data capture sees it, after the answer: its input, top
 * class and the input feature values telemetry computed (valid only during the call: copy what is kept).
 */
export interface ObservedInference {
  model: ModelVersionId;
  /** The version's profiled input features (their baseline edges). */
  inputs: readonly FeatureSpec[];
  input: InferInput;
  top?: TopClass;
  features?: Readonly<Record<string, number>>;
  predictionId: string;
  createdMs: number;
}

/** How a caller wants one inference handled. */
export interface InferOptions {
  /** When the request arrived (`performance.now()`); the timeout counts from here. Default: the call. */
  receivedAtMs?: number;
  /** Fail with `timeout` (instead of answering late) when the inference took over the limit. */
  failOnTimeout?: boolean;
}

/** The loaded sessions by role; `standby` stays loaded so switching back is a pointer switch. */
export interface Slots {
  active: ModelSession | null;
  shadow: ModelSession | null;
  standby: ModelSession | null;
}

/** Counters of the serving path (also in `/v1/status`). */
export interface ServingCounters {
  inferences: number;
  /** Inferences answered after `inferenceTimeoutMs` (HTTP callers got 504). */
  timedOut: number;
  rejected: Record<string, number>;
  failed: number;
  shadowRuns: number;
  shadowFailures: number;
}

/**
 * The inference path: active-session snapshot per request (so a switch never touches a request in
 * flight), preprocessing, run, window statistics, and the shadow run scheduled after the caller's
 * answer (never on its latency; its outputs are never returned).
 */
export class ServingEngine {
  private slots: Slots = { active: null, shadow: null, standby: null };
  shadowSampleRate = 1;
  /**
   * Per-inference limit from the desired state's policies, counted from {@link InferOptions.receivedAtMs}.
   * A run is not interrupted at the limit (a process is killed only past its `hangMs`): an inference over the
   * limit finishes (its session stays in use until then), is counted as a `timeout` error, and fails with `timeout`
   * (HTTP 504) for callers that ask for it ({@link InferOptions.failOnTimeout}); others get the result.
   */
  inferenceTimeoutMs: number | undefined;
  readonly counters: ServingCounters = {
    inferences: 0,
    timedOut: 0,
    rejected: {},
    failed: 0,
    shadowRuns: 0,
    shadowFailures: 0,
  };
  private shadowQueue: Promise<void> = Promise.resolve();
  /** The deployment's automation level (from the desired state; `full` when it names none). */
  automation: Automation = DEFAULT_AUTOMATION;
  /** Keeps each classifier prediction for a later label (the agent's {@link OperatorFeedback}); none in unit tests. */
  rememberPrediction: ((record: KeptPrediction) => void) | null = null;
  /** Hears each active inference after its answer, with its features (the agent's data capture); none in unit tests. */
  observeInference: ((inference: ObservedInference) => void) | null = null;

  constructor(
    private readonly windows: TelemetryWindows,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): Readonly<Slots> {
    return this.slots;
  }

  /** Switches every role at once; returns the sessions no role uses any more (release them). */
  switchTo(next: Slots): ModelSession[] {
    const before = [this.slots.active, this.slots.shadow, this.slots.standby];
    this.slots = { ...next };
    const kept = new Set([next.active, next.shadow, next.standby]);
    return [...new Set(before)].filter((s): s is ModelSession => s !== null && !kept.has(s));
  }

  /** Counts a rejected input (HTTP 4xx, unreadable file) against the active version's window. */
  reject(kind: string): void {
    this.counters.rejected[kind] = (this.counters.rejected[kind] ?? 0) + 1;
    const active = this.slots.active;
    if (active) this.windows.profileFor(active, 'active').recordError(kind);
  }

  /**
   * Runs one inference on the active version. Its statistics are taken after the answer (see
   * {@link TelemetryWindows.defer}): keep an input tensor unchanged until the next macrotask.
   */
  async infer(input: InferInput, options: InferOptions = {}): Promise<InferResult> {
    const session = this.slots.active;
    if (!session) {
      // None deployed yet, or the fleet took the model away (a rolled-back first deployment).
      throw new AgentError('not_ready', 'no model: no version is active on this device');
    }
    const t0 = performance.now();
    let tensor: AgentTensor;
    try {
      tensor = toModelTensor(session, input);
    } catch (err) {
      if (err instanceof AgentError) this.reject(err.kind);
      throw err;
    }
    const t1 = performance.now();
    let outputs: Record<string, AgentTensor>;
    try {
      outputs = await session.run({ [session.inputName]: tensor });
    } catch (err) {
      this.counters.failed++;
      // A kind from the runtime (`runtime_crashed`: its process died) is kept; anything else is `infer`.
      const kind = err instanceof AgentError ? err.kind : 'infer';
      this.windows.profileFor(session, 'active').recordError(kind);
      if (err instanceof AgentError) throw err;
      throw new AgentError('internal', `inference failed on ${session.label}: ${(err as Error).message}`);
    }
    const t2 = performance.now();
    const top = topClass(session, outputs);
    const latencyMs = { preprocessMs: t1 - t0, inferMs: t2 - t1, totalMs: performance.now() - t0 };
    const limitMs = this.inferenceTimeoutMs;
    const elapsedMs = options.receivedAtMs === undefined ? latencyMs.totalMs : t2 - options.receivedAtMs;
    const timedOut = limitMs !== undefined && elapsedMs > limitMs;
    const decision = decideRoute(this.automation, top);
    const predictionId = randomUUID();
    const createdMs = Date.now();
    // Statistics after the answer (the input tensor is the engine's own or the caller's, which must not
    // change it before the next macrotask); the window still gets them before it closes.
    this.windows.defer(() => {
      const classes = session.spec.classes;
      // Kept off the answer's latency too: a label for it first runs the waiting observations (see OperatorFeedback).
      if (top && classes && this.rememberPrediction) {
        this.rememberPrediction({
          predictionId,
          createdMs,
          model: session.id,
          classes,
          predictedIndex: top.index,
          confidence: top.confidence,
          route: decision.route,
          reason: decision.reason,
          ...(input.kind === 'image' && input.encoded ? { image: input.encoded } : {}),
        });
      }
      // The window open now: one that closed during the run has been written already.
      const profile = this.windows.profileFor(session, 'active');
      const features = observeInput(profile, session, tensor);
      observeOutput(profile, session, top);
      observeTimings(profile, latencyMs);
      this.windows.recordRoute(session, decision.route, top?.confidence);
      if (timedOut) profile.recordError('timeout');
      this.observeInference?.({
        model: session.id,
        inputs: session.spec.inputs,
        input,
        ...(top ? { top } : {}),
        ...(features ? { features } : {}),
        predictionId,
        createdMs,
      });
    });
    this.counters.inferences++;
    const shadow = this.slots.shadow;
    if (shadow && shadow !== session && this.random() < this.shadowSampleRate) {
      this.scheduleShadow(shadow, tensor, outputs, session);
    }
    if (timedOut) {
      this.counters.timedOut++;
      if (options.failOnTimeout) {
        throw new AgentError(
          'timeout',
          `expected an answer within inferenceTimeoutMs ${limitMs} ms, took ${elapsedMs.toFixed(1)} ms on ${session.label}`,
        );
      }
    }
    return { predictionId, model: session.id, outputs, ...(top ? { top } : {}), decision, latencyMs };
  }

  /** Shadow runs queue one at a time after the current macrotask: the caller has its answer first. */
  private scheduleShadow(
    shadow: ModelSession,
    tensor: AgentTensor,
    activeOutputs: Record<string, AgentTensor>,
    active: ModelSession,
  ): void {
    this.shadowQueue = this.shadowQueue
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.runShadow(shadow, tensor, activeOutputs, active));
  }

  private async runShadow(
    shadow: ModelSession,
    tensor: AgentTensor,
    activeOutputs: Record<string, AgentTensor>,
    active: ModelSession,
  ): Promise<void> {
    const profile = this.windows.profileFor(shadow, 'shadow');
    const t0 = performance.now();
    try {
      const outputs = await shadow.run({ [shadow.inputName]: tensor });
      const inferMs = performance.now() - t0;
      observeInput(profile, shadow, tensor);
      observeOutput(profile, shadow, topClass(shadow, outputs));
      observeTimings(profile, { preprocessMs: 0, inferMs, totalMs: inferMs });
      const cmp = compareOutputs(activeOutputs[active.outputNames[0]!], outputs[shadow.outputNames[0]!]);
      profile.observeShadow(cmp.agreed, cmp.maxAbsDiff);
      this.counters.shadowRuns++;
    } catch (err) {
      this.counters.shadowFailures++;
      profile.recordError(err instanceof AgentError ? err.kind : 'infer');
      this.logger.warn({ err: (err as Error).message, model: shadow.label }, 'shadow inference failed');
    }
  }

  /** Resolves once queued shadow runs are done (tests, shutdown). */
  async drainShadow(): Promise<void> {
    await this.shadowQueue;
  }
}
