import type { Automation } from '@edgefleet/shared';
import type { InferenceSeen } from '../capture/capture';
import { RuntimeError } from '../errors';
import { decideInference } from '../feedback/decision';
import type { PredictionStore } from '../feedback/predictions';
import { type InferInput, type TensorInput, toInputTensor } from '../inference/input';
import type { WorkerSession } from '../inference/session';
import type { InferOptions, InferResult } from '../options';
import type { PreparedVersion } from '../versions/prepare';

/** What an inference needs beyond the version: the model's automation level and where predictions are kept. */
export interface InferDeps {
  automation: Automation;
  predictions: Pick<PredictionStore, 'remember'>;
  /** Sees each answered inference synchronously (the input still as given): the capture policy's hook. */
  seen?: (inference: InferenceSeen) => void;
}

/**
 * Runs one inference on a prepared version: preprocessing (the version's signed spec), one message to the
 * version's Worker and one back, the decision route by the automation level, and, after the answer, the window's
 * statistics and the prediction kept for a later label. The input tensor crosses to the Worker without a
 * structured-clone copy: the runtime's own tensor (an image's) or, with `transfer`, the caller's buffer moves;
 * otherwise one `slice()` copy moves. The Worker hands it back with the outputs (moved too) for the features.
 */
export async function inferOn(
  active: PreparedVersion,
  given: InferInput,
  deps: InferDeps,
  options: InferOptions = {},
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
  // A SharedArrayBuffer cannot move; a copy of it can.
  const movable = (tensor.owned || options.transfer) && tensor.data.buffer instanceof ArrayBuffer;
  const data = movable ? tensor.data : tensor.data.slice();
  const preprocessMs = performance.now() - started;
  const window = active.window;
  let run: Awaited<ReturnType<WorkerSession['run']>>;
  try {
    run = await active.session.run(
      { [inputName]: { data, dims: tensor.dims, dtype: tensor.dtype ?? 'float32' } },
      { transfer: true },
    );
  } catch (error) {
    window?.recordError(error instanceof RuntimeError ? error.kind : 'inference_failed');
    throw error;
  }
  const latencyMs = performance.now() - started;
  const first = run.outputs[active.session.info!.outputNames[0]!] ?? Object.values(run.outputs)[0]!;
  const classes = window?.classes;
  const { predictionId, decision, top } = decideInference(deps.automation, classes, first);
  const input = run.inputs[inputName]?.data;
  window?.observeSoon({
    ...(input instanceof Float32Array
      ? { input: { data: input, dims: tensor.dims, image: tensor.image } }
      : {}),
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
    // A tensor the caller transferred is detached: capture sees it as the Worker handed it back.
    const returned = run.inputs[inputName];
    deps.seen({
      input:
        'dims' in given && returned ? ({ data: returned.data, dims: tensor.dims } as TensorInput) : given,
      model: { name, version },
      predictionId,
      ...(top && label !== undefined
        ? { top: { label, confidence: top.confidence, margin: top.margin } }
        : {}),
      // Computed only when the policy needs them (out-of-range rules, or a sample taken): off the common path.
      features: () =>
        window && input instanceof Float32Array
          ? window.inputFeatures({ data: input, dims: tensor.dims, image: tensor.image })
          : {},
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
