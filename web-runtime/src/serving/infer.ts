import type { Automation } from '@edgefleet/shared';
import type { InferenceSeen } from '../capture/capture';
import { RuntimeError } from '../errors';
import { decideInference } from '../feedback/decision';
import type { PredictionStore } from '../feedback/predictions';
import { type InferInput, toInputTensor } from '../inference/input';
import type { WorkerSession } from '../inference/session';
import type { InferResult } from '../options';
import type { PreparedVersion } from '../versions/prepare';

/** What an inference needs beyond the version: the model's automation level and where predictions are kept. */
export interface InferDeps {
  automation: Automation;
  predictions: Pick<PredictionStore, 'remember'>;
  /** Sees each answered inference synchronously (the input still as given): the capture policy's hook. */
  seen?: (inference: InferenceSeen) => void;
}

/**
 * Runs one inference on a prepared version: preprocessing (the version's signed spec), the Worker run (its input
 * features computed meanwhile), the decision route by the automation level, the window's statistics, and the
 * prediction kept for a later label (written after the answer).
 */
export async function inferOn(
  active: PreparedVersion,
  given: InferInput,
  deps: InferDeps,
): Promise<InferResult> {
  const started = performance.now();
  const spec = active.manifest.preprocessing;
  const inputName = spec.inputName ?? active.session.info!.inputNames[0]!;
  let tensor: ReturnType<typeof toInputTensor>;
  try {
    tensor = toInputTensor(given, spec, active.session.info!.inputDims[inputName]);
  } catch (error) {
    active.window?.recordError('input_invalid');
    throw error;
  }
  const preprocessMs = performance.now() - started;
  const window = active.window;
  let run: Awaited<ReturnType<WorkerSession['run']>>;
  let features: Record<string, number> | undefined;
  try {
    const running = active.session.run({
      [inputName]: { data: tensor.data, dims: tensor.dims, dtype: tensor.dtype ?? 'float32' },
    });
    // The input's features are computed while the Worker runs the model: off the caller's path.
    if (window)
      features = window.inputFeatures({
        data: tensor.data as Float32Array,
        dims: tensor.dims,
        image: tensor.image && tensor.data instanceof Float32Array,
      });
    run = await running;
  } catch (error) {
    window?.recordError(error instanceof RuntimeError ? error.kind : 'inference_failed');
    throw error;
  }
  const latencyMs = performance.now() - started;
  const first = run.outputs[active.session.info!.outputNames[0]!] ?? Object.values(run.outputs)[0]!;
  const classes = window?.classes;
  const { predictionId, decision, top } = decideInference(deps.automation, classes, first);
  window?.observe({
    features: features ?? {},
    top,
    route: decision.route,
    preprocessMs,
    inferMs: run.inferMs,
    totalMs: latencyMs,
  });
  const label = top && classes?.[top.top1];
  const { name, version } = active.manifest;
  if (top && classes && label !== undefined) {
    deps.predictions.remember({
      predictionId,
      createdMs: Date.now(),
      model: { name, version },
      classes,
      predictedIndex: top.top1,
      confidence: top.confidence,
      route: decision.route,
      reason: decision.reason,
    });
  }
  if (deps.seen) {
    deps.seen({
      input: given,
      model: { name, version },
      predictionId,
      ...(top && label !== undefined
        ? { top: { label, confidence: top.confidence, margin: top.margin } }
        : {}),
      features: features ?? {},
      inputs: window?.spec.inputs ?? [],
    });
  }
  return {
    output: first.data,
    dims: first.dims,
    outputs: run.outputs,
    version,
    backend: active.backend,
    latencyMs,
    predictionId,
    decision,
    ...(top && label !== undefined
      ? { top: { label, index: top.top1, confidence: top.confidence, margin: top.margin } }
      : {}),
  };
}
