import { checkGoldenOutputs, type GoldenPair, goldenPairMisfit, validateGoldenPair } from '@edgefleet/shared';
import { DeployFailure } from '../errors';
import type { AgentTensor } from './tensor';

/** Reads a stored golden file (the shared `edgefleet.golden` format); throws {@link DeployFailure} at `golden`. */
export function parseGolden(json: unknown): GoldenPair {
  const parsed = validateGoldenPair(json);
  if (!parsed.ok) throw new DeployFailure('golden', `golden file ${parsed.error.message}`);
  return parsed.value;
}

/** Throws {@link DeployFailure} at `golden` when the pair does not feed the model's inputs or names unknown outputs. */
export function checkGoldenFits(
  golden: GoldenPair,
  model: { inputNames: readonly string[]; outputNames: readonly string[] },
): void {
  const misfit = goldenPairMisfit(golden, model);
  if (misfit) throw new DeployFailure('golden', `golden file: ${misfit.message}`);
}

/** Checks outputs against the golden ones; throws {@link DeployFailure} at `golden` naming the first miss. */
export function checkGolden(golden: GoldenPair, outputs: Record<string, AgentTensor>): void {
  const mismatch = checkGoldenOutputs(golden, outputs);
  if (mismatch) throw new DeployFailure('golden', mismatch.message);
}
