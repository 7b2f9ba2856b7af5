import {
  allocTensorData,
  imageTensorDims,
  type Manifest,
  type ModelVersionId,
  type PreprocessingSpec,
  type ProfileSpec,
} from '@edgefleet/shared';
import type { Logger } from 'pino';
import { DeployFailure } from '../errors';
import type { StoredModel } from '../store/model-store';
import { checkGolden, checkGoldenFits, parseGolden } from './golden';
import { InlineRunner } from './inline-runner';
import { ProcessRunner } from './process-runner';
import { DEFAULT_INLINE_MAX_MS, type ModelRunner, type SessionOptions } from './runner';
import type { AgentTensor } from './tensor';

export { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './runner';

/**
 * One loaded model version. Where `run` executes is measured at load (see {@link SessionOptions.placement}):
 * onnxruntime-node's `run` holds the JS thread for the whole inference (its async `run` is a synchronous
 * call in a `setImmediate`; measured: the event loop stalls as long as det runs), so slow models run in a
 * child process ({@link ProcessRunner}) and only those whose warm run is cheaper than the hop stay inline.
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
    private runner: ModelRunner,
  ) {
    this.manifest = stored.ref.manifest;
    this.id = { name: this.manifest.name, version: this.manifest.version };
    this.spec = stored.spec;
    this.preprocessing = this.manifest.preprocessing;
    this.inputName = this.preprocessing.inputName ?? runner.signature.inputNames[0]!;
    this.outputNames = runner.signature.outputNames;
    this.isClassifier = (this.spec.classes?.length ?? 0) > 0;
  }

  /** Loads a stored version (step `load`) where {@link SessionOptions.placement} says. */
  static async load(stored: StoredModel, options: SessionOptions, logger?: Logger): Promise<ModelSession> {
    const placement = options.placement ?? 'auto';
    const label = `${stored.ref.manifest.name}@${stored.ref.manifest.version}`;
    let runner: ModelRunner;
    try {
      runner =
        placement === 'inline'
          ? await InlineRunner.create(stored.modelPath, options)
          : await ProcessRunner.start(stored.modelPath, options, label, logger);
    } catch (err) {
      throw new DeployFailure('load', `onnxruntime: ${(err as Error).message}`);
    }
    const session = new ModelSession(stored, runner);
    if (placement === 'auto' && runner instanceof ProcessRunner) {
      await session.placeByRunTime(runner, options);
    }
    return session;
  }

  /** Moves the session inline when its warm run (timed in the child, without the hop) is under the limit. */
  private async placeByRunTime(runner: ProcessRunner, options: SessionOptions): Promise<void> {
    const runs: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        await runner.run(this.zeroInput());
        runs.push(runner.lastRunMs);
      }
    } catch (err) {
      await runner.release();
      throw new DeployFailure('warmup', `warm-up run failed: ${(err as Error).message}`);
    }
    // The first run allocates; the best of the next four is the model's own time (load on the box only adds).
    const runMs = Math.min(...runs.slice(1));
    if (runMs > (options.inlineMaxMs ?? DEFAULT_INLINE_MAX_MS)) return;
    try {
      this.runner = await InlineRunner.create(this.stored.modelPath, options);
    } finally {
      await runner.release();
    }
  }

  /** `inline` (the agent's JS thread) or `process` (its own child process). */
  get placement(): 'inline' | 'process' {
    return this.runner.placement;
  }

  /** The inference process's pid when the session runs in one. */
  get pid(): number | undefined {
    return this.runner instanceof ProcessRunner ? this.runner.pid : undefined;
  }

  /** Times the inference process died and was started again. */
  get restarts(): number {
    return this.runner instanceof ProcessRunner ? this.runner.restarts : 0;
  }

  get label(): string {
    return `${this.id.name}@${this.id.version}`;
  }

  /** Runs the model; counts as in flight until it returns. */
  async run(feeds: Record<string, AgentTensor>): Promise<Record<string, AgentTensor>> {
    if (this.released) throw new Error(`session ${this.label} was released`);
    this.inFlight++;
    try {
      return await this.runner.run(feeds);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.drained?.();
    }
  }

  /** The model's input shape from its metadata; dynamic dims are -1. */
  inputShape(): number[] {
    const shape = this.runner.signature.inputShapes.get(this.inputName) ?? [];
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
    checkGoldenFits(golden, { inputNames: this.runner.signature.inputNames, outputNames: this.outputNames });
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
    await this.runner.release();
  }
}
