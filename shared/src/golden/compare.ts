import type { GoldenPair, GoldenTolerance } from './pair';
import { tensorValues } from './tensor';

/** A tensor as a comparison reads it: a {@link HostTensor}, or an agent's or a browser's tensor. */
export interface ComparedTensor {
  /** `float16` data are IEEE half bit patterns and are decoded before comparing. */
  dtype?: string;
  dims: readonly number[];
  data: ArrayLike<number> | ArrayLike<bigint>;
}

/** Where a tensor first differs from the expected one; `index` is -1 when its shape already differs. */
export interface ElementMismatch {
  index: number;
  expected: number;
  got: number;
  /** What differs: `outside tolerance`, or the shapes. */
  reason: string;
}

/** A golden output the model did not reproduce, with one line saying which, where and by how much. */
export interface GoldenMismatch extends ElementMismatch {
  output: string;
  /** e.g. `output y[0]: expected 0.5, got 0.6 (tolerance abs 0.01 + rel 0)`. */
  message: string;
}

/** Model inputs a golden pair leaves unfed, and pair tensors the model does not have. */
export interface GoldenMisfit {
  missingInputs: string[];
  unknownInputs: string[];
  unknownOutputs: string[];
  message: string;
}

const withinTolerance = (expected: number, got: number, { abs, rel }: GoldenTolerance): boolean =>
  (Number.isNaN(expected) && Number.isNaN(got)) || Math.abs(got - expected) <= abs + rel * Math.abs(expected);

/**
 * The first element of `got` outside `tolerance` of `expected` (`|got − expected| ≤ abs + rel·|expected|`,
 * NaN matches NaN), or null when `got` reproduces `expected`.
 */
export function firstMismatch(
  expected: ComparedTensor,
  got: ComparedTensor,
  tolerance: GoldenTolerance,
): ElementMismatch | null {
  const e = tensorValues(expected);
  const g = tensorValues(got);
  if (expected.dims.join(',') !== got.dims.join(',') || e.length !== g.length) {
    const reason = `expected dims [${expected.dims}] (${e.length} elements), got [${got.dims}] (${g.length})`;
    return { index: -1, expected: Number.NaN, got: Number.NaN, reason };
  }
  for (let i = 0; i < e.length; i++) {
    if (!withinTolerance(e[i]!, g[i]!, tolerance)) {
      return { index: i, expected: e[i]!, got: g[i]!, reason: 'outside tolerance' };
    }
  }
  return null;
}

/**
 * The first golden output that `outputs` (a model's, by name) does not reproduce, or null when all are
 * reproduced. Outputs the pair does not name are not compared.
 * @example const miss = checkGoldenOutputs(pair, await run(pair.inputs)); if (miss) refuse(miss.message);
 */
export function checkGoldenOutputs(
  pair: Pick<GoldenPair, 'outputs' | 'tolerance'>,
  outputs: Readonly<Record<string, ComparedTensor | undefined>>,
): GoldenMismatch | null {
  const { abs, rel } = pair.tolerance;
  for (const [output, expected] of Object.entries(pair.outputs)) {
    const got = Object.hasOwn(outputs, output) ? outputs[output] : undefined;
    if (got === undefined) {
      const reason = 'missing output';
      const message = `expected output ${output}, the model has none`;
      return { output, index: -1, expected: Number.NaN, got: Number.NaN, reason, message };
    }
    const mismatch = firstMismatch(expected, got, pair.tolerance);
    if (mismatch === null) continue;
    const message =
      mismatch.index < 0
        ? `output ${output}: ${mismatch.reason}`
        : `output ${output}[${mismatch.index}]: expected ${mismatch.expected}, got ${mismatch.got} (tolerance abs ${abs} + rel ${rel})`;
    return { output, ...mismatch, message };
  }
  return null;
}

/**
 * How a pair fails to fit a model's inputs and outputs (every model input fed, no unknown names), or
 * null when it fits.
 */
export function goldenPairMisfit(
  pair: { inputs: Readonly<Record<string, unknown>>; outputs: Readonly<Record<string, unknown>> },
  model: { inputNames: readonly string[]; outputNames: readonly string[] },
): GoldenMisfit | null {
  const missingInputs = model.inputNames.filter((name) => !Object.hasOwn(pair.inputs, name));
  const unknownInputs = Object.keys(pair.inputs).filter((name) => !model.inputNames.includes(name));
  const unknownOutputs = Object.keys(pair.outputs).filter((name) => !model.outputNames.includes(name));
  if (missingInputs.length === 0 && unknownInputs.length === 0 && unknownOutputs.length === 0) return null;
  const message = `the pair does not fit the model (missing inputs [${missingInputs}], unknown inputs [${unknownInputs}], unknown outputs [${unknownOutputs}])`;
  return { missingInputs, unknownInputs, unknownOutputs, message };
}
