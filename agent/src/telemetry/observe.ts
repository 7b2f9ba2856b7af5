import {
  classifierFeatures,
  type ImageFeatureOptions,
  imageFeatureOptionsFor,
  imageFeatures,
  type Profile,
} from '@edgefleet/shared';
import type { ModelSession } from '../runtime/model-session';
import type { AgentTensor } from '../runtime/tensor';

/** Timings of one inference, in milliseconds. */
export interface InferenceTimings {
  preprocessMs: number;
  inferMs: number;
  totalMs: number;
}

/** The top class of a classifier output. */
export interface TopClass {
  index: number;
  label: string;
  confidence: number;
  margin: number;
}

const imageOptions = new WeakMap<ModelSession, ImageFeatureOptions>();

// Feature options per session, from its preprocessing spec by the shared rule (same as the baseline's).
function imageSetup(session: ModelSession): ImageFeatureOptions {
  let opts = imageOptions.get(session);
  if (!opts) {
    const p = session.preprocessing;
    opts = { into: {}, ...(p.kind === 'image' ? imageFeatureOptionsFor(p) : {}) };
    imageOptions.set(session, opts);
  }
  return opts;
}

const inputValues: number[] = [];

/**
 * Feeds the window profile with one inference's input statistics (shared feature extraction). Returns the
 * feature values by name (a record reused by the next call: read it before then), or undefined when none.
 */
export function observeInput(
  profile: Profile,
  session: ModelSession,
  input: AgentTensor,
): Readonly<Record<string, number>> | undefined {
  const p = session.preprocessing;
  const names = session.spec.inputs;
  if (
    p.kind === 'image' &&
    (input.data instanceof Float32Array || (input.data instanceof Uint8Array && p.dtype === 'uint8')) &&
    names.length > 0
  ) {
    const opts = imageSetup(session);
    const layout = p.layout;
    const r = imageFeatures(input.data, input.dims, layout, opts);
    if (r.ok) {
      inputValues.length = names.length;
      for (let i = 0; i < names.length; i++) inputValues[i] = r.value[names[i]!.name] ?? Number.NaN;
      profile.observeInputValues(inputValues);
      return r.value;
    }
  }
  profile.observeInputs({});
  return undefined;
}

/** Top class of a classifier output (cheap: on the response path); undefined for other models or bad outputs. */
export function topClass(session: ModelSession, outputs: Record<string, AgentTensor>): TopClass | undefined {
  if (!session.isClassifier) return undefined;
  const out = outputs[session.outputNames[0]!];
  if (!out || !(out.data instanceof Float32Array)) return undefined;
  const r = classifierFeatures(out.data, out.dims);
  if (!r.ok) return undefined;
  const label = session.spec.classes?.[r.value.top1] ?? String(r.value.top1);
  return { index: r.value.top1, label, confidence: r.value.confidence, margin: r.value.margin };
}

/** Feeds the profile with an output: classifier confidence, margin and top-1; null output when unreadable. */
export function observeOutput(profile: Profile, session: ModelSession, top: TopClass | undefined): void {
  if (!session.isClassifier) {
    profile.observeOutputs({});
    return;
  }
  if (!top) {
    profile.observeOutputs(null);
    return;
  }
  profile.observeOutputs({ confidence: top.confidence, margin: top.margin });
  profile.observeClass(top.index);
}

/** Adds the stage latencies of one inference. */
export function observeTimings(profile: Profile, t: InferenceTimings): void {
  profile.observeLatency('preprocess', t.preprocessMs);
  profile.observeLatency('infer', t.inferMs);
  profile.observeLatency('total', t.totalMs);
}
