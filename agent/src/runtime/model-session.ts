import {
  allocTensorData,
  imageTensorDims,
  type Manifest,
  type ModelVersionId,
  type PreprocessingSpec,
  type ProfileSpec,
} from '@edgefleet/shared';
import * as ort from 'onnxruntime-node';
import { DeployFailure } from '../errors';
import type { StoredModel } from '../store/model-store';
import { checkGolden, checkGoldenFits, parseGolden } from './golden';
import { type AgentTensor, fromOrtTensor, toOrtTensor } from './tensor';

/** onnxruntime session options the agent sets explicitly (never left to defaults: see DESIGN pitfalls). */
export interface SessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let intra-op threads spin after a run (lower latency under constant load, more CPU). Default off. */
  allowSpinning?: boolean;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/**
 * One loaded model version. Inference runs on the calling (main) thread: onnxruntime-node's `run`
 * holds the JS thread for the whole inference; measured here, the cls model takes ~2 ms and det at
 * 320×320 ~32 ms on 2 cores, so a worker hop would cost more than the ≤ 5 % overhead budget on cls.
 * Requests in flight keep their session: {@link ModelSession.release} waits for them.
 */
export class ModelSession {
  readonly id: ModelVersionId;
  readonly manifest: Manifest;
  readonly spec: ProfileSpec;
  readonly preprocessing: PreprocessingSpec;
  readonly inputName: string;
  readonly outputNames: readonly string[];
  readonly isClassifier: boolean;
  private inFlight = 0;
  private drained: (() => void) | null = null;
  private released = false;

  private constructor(
    readonly stored: StoredModel,
    private readonly session: ort.InferenceSession,
  ) {
    this.manifest = stored.ref.manifest;
    this.id = { name: this.manifest.name, version: this.manifest.version };
    this.spec = stored.spec;
    this.preprocessing = this.manifest.preprocessing;
    this.inputName = this.preprocessing.inputName ?? session.inputNames[0]!;
    this.outputNames = session.outputNames;
    this.isClassifier = (this.spec.classes?.length ?? 0) > 0;
  }

  /** Loads a stored version (step `load`). */
  static async load(stored: StoredModel, options: SessionOptions): Promise<ModelSession> {
    try {
      const session = await ort.InferenceSession.create(stored.modelPath, {
        intraOpNumThreads: options.intraOpNumThreads,
        interOpNumThreads: options.interOpNumThreads,
        graphOptimizationLevel: options.graphOptimizationLevel,
        executionMode: 'sequential',
        // No busy-waiting pool threads after a run: on a small shared box they steal the core the
        // JS thread needs for statistics and I/O (and burn power on an idle station).
        extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
      });
      return new ModelSession(stored, session);
    } catch (err) {
      throw new DeployFailure('load', `onnxruntime: ${(err as Error).message}`);
    }
  }

  /** The underlying onnxruntime session (benchmarks compare against its bare `run`). */
  get ortSession(): ort.InferenceSession {
    return this.session;
  }

  get label(): string {
    return `${this.id.name}@${this.id.version}`;
  }

  /** Runs the model; counts as in flight until it returns. */
  async run(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>> {
    if (this.released) throw new Error(`session ${this.label} was released`);
    this.inFlight++;
    try {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(t);
      const out = await this.session.run(ortFeeds);
      const result: Record<string, AgentTensor> = {};
      for (const name of this.outputNames) result[name] = fromOrtTensor(out[name]!);
      return result;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** The model's input shape from its metadata; dynamic dims are -1. */
  inputShape(): number[] {
    const meta = this.session.inputMetadata.find((m) => m.name === this.inputName);
    const shape = meta?.isTensor ? meta.shape : [];
    return shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  }

  /** A zero input of the model's shape (from the preprocessing spec, dynamic dims as 1). */
  zeroInput(): Record<string, AgentTensor> {
    const p = this.preprocessing;
    let dims: number[];
    if (p.kind === 'image') {
      dims = imageTensorDims(p);
    } else {
      dims = this.inputShape().map((d) => (d > 0 ? d : 1));
      if (dims.length === 0) dims = [1];
    }
    const n = dims.reduce((a, b) => a * b, 1);
    return { [this.inputName]: { data: allocTensorData(p.dtype, n), dims, dtype: p.dtype } };
  }

  /** Warm-up runs (step `warmup`): first runs allocate and are slow; they must not hit callers. */
  async warmUp(runs = 2): Promise<void> {
    try {
      for (let i = 0; i < runs; i++) await this.run(this.zeroInput());
    } catch (err) {
      throw new DeployFailure('warmup', `warm-up run failed: ${(err as Error).message}`);
    }
  }

  /** Checks the golden pair when the version has one (step `golden`); `required` fails without one. */
  async checkGolden(policy: 'required' | 'if_present'): Promise<void> {
    if (this.stored.golden === undefined) {
      if (policy === 'required')
        throw new DeployFailure('golden', 'policy requires a golden pair; the version has none');
      return;
    }
    const golden = parseGolden(this.stored.golden);
    checkGoldenFits(golden, { inputNames: this.session.inputNames, outputNames: this.outputNames });
    let outputs: Record<string, AgentTensor>;
    try {
      outputs = await this.run(golden.inputs);
    } catch (err) {
      throw new DeployFailure('golden', `golden input failed to run: ${(err as Error).message}`);
    }
    checkGolden(golden, outputs);
  }

  /** Releases the session once every request in flight on it has finished. */
  async release(): Promise<void> {
    if (this.released) return;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.released = true;
    await this.session.release();
  }
}
