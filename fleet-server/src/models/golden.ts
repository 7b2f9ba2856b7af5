import { checkGoldenOutputs, type GoldenPair, goldenPairMisfit, parseGoldenPair } from '@edgefleet/shared';
import { InvalidInput, UnprocessableContent } from '../errors';
import type { ServerModel } from './inference';

/** Reads a golden pair file (the shared `edgefleet.golden` format); InvalidInput naming the field at fault. */
export function readGoldenPair(bytes: Uint8Array, field = 'golden'): GoldenPair {
  const parsed = parseGoldenPair(bytes);
  if (!parsed.ok) {
    const at = parsed.error.path ? `${field}.${parsed.error.path}` : field;
    throw new InvalidInput(`${field}: ${parsed.error.message}`, { field: at });
  }
  return parsed.value;
}

/**
 * Runs the golden inputs through the model and compares every golden output: UnprocessableContent (422)
 * when the model does not reproduce them or the pair does not fit the model's IO.
 */
export async function verifyGoldenPair(
  model: ServerModel,
  pair: GoldenPair,
  field = 'golden',
): Promise<void> {
  const misfit = goldenPairMisfit(pair, model);
  if (misfit) {
    throw new UnprocessableContent(`${field}: ${misfit.message}`, {
      field,
      modelInputs: model.inputNames,
      modelOutputs: model.outputNames,
    });
  }
  const got = await model.run(pair.inputs, `${field}.inputs`);
  const mismatch = checkGoldenOutputs(pair, got);
  if (mismatch) {
    const { output, message, ...where } = mismatch;
    throw new UnprocessableContent(`${field}: the model does not reproduce output '${output}' (${message})`, {
      field: `${field}.outputs.${output}`,
      ...where,
    });
  }
}
