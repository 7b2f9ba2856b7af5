import { type Automation, type ClassifierFeatures, type Decision, decideRoute } from '@edgefleet/shared';
import { classifierTop } from '../telemetry/window';

/** What `infer` decides beside the output: an id for a later label, and who decides. */
export interface InferenceDecision {
  predictionId: string;
  decision: Decision;
  /** The top class, when the version is a classifier (its spec names classes) and the output reads as one. */
  top: ClassifierFeatures | undefined;
}

/**
 * Routes one inference by the model's automation level with the shared rule (the agent's): a version whose
 * profile spec names no classes has no top class, so it decides alone only under `full`.
 */
export function decideInference(
  automation: Automation,
  classes: readonly string[] | undefined,
  output: { data: Float32Array; dims: number[] },
): InferenceDecision {
  const top = classes ? classifierTop(output) : undefined;
  return { predictionId: crypto.randomUUID(), decision: decideRoute(automation, top), top };
}
