import { parseMessage, validateMessage } from '../protocol/parse';
import { fail, ok, type Result } from '../result';
import { z } from '../zod';
import { type HostTensor, type TensorJson, tensorFromJson, tensorJsonSchema } from './tensor';

/** Largest golden pair file accepted (64 MiB). */
export const MAX_GOLDEN_BYTES = 64 * 1024 * 1024;
/** Most tensors in `inputs`, and in `outputs`. */
export const MAX_GOLDEN_TENSORS = 16;

/** Tolerance a pair gets when its file names none. */
export const DEFAULT_GOLDEN_TOLERANCE = { abs: 1e-4, rel: 1e-3 } as const;

const tensorMap = z
  .record(z.string().check(z.minLength(1), z.maxLength(128)), tensorJsonSchema)
  .check(
    z.refine(
      (m) => Object.keys(m).length >= 1 && Object.keys(m).length <= MAX_GOLDEN_TENSORS,
      `expected 1 to ${MAX_GOLDEN_TENSORS} tensors`,
    ),
  );

/**
 * A golden pair file (`edgefleet.golden` v1, a version's `goldenSha256`): model inputs, the outputs the
 * model must produce for them and the tolerance: output element `got` passes when
 * `|got − expected| ≤ abs + rel·|expected|` (NaN matches NaN). Outputs may name a subset of the model's
 * outputs; inputs must feed every model input. Tensors are {@link tensorJsonSchema}.
 * @example { "format": "edgefleet.golden", "v": 1, "tolerance": { "abs": 1e-4, "rel": 1e-3 },
 *   "inputs": { "x": { "dtype": "float32", "dims": [1,3,48,192], "base64": "…" } },
 *   "outputs": { "softmax_0.tmp_0": { "dtype": "float32", "dims": [1,2], "data": [0.98, 0.02] } } }
 */
export const goldenPairSchema = z.strictObject({
  format: z.literal('edgefleet.golden'),
  v: z.literal(1),
  inputs: tensorMap,
  outputs: tensorMap,
  tolerance: z._default(
    z.strictObject({
      abs: z.number().check(z.gte(0), z.lte(1e6)),
      rel: z.number().check(z.gte(0), z.lte(1e6)),
    }),
    DEFAULT_GOLDEN_TOLERANCE,
  ),
});
/** A golden pair file as JSON (what a producer writes). */
export type GoldenPairJson = z.input<typeof goldenPairSchema>;

/** Per-element tolerance of a golden comparison. */
export interface GoldenTolerance {
  abs: number;
  rel: number;
}

/** A parsed golden pair with decoded tensors. */
export interface GoldenPair {
  inputs: Record<string, HostTensor>;
  outputs: Record<string, HostTensor>;
  tolerance: GoldenTolerance;
}

function decodeTensors(
  tensors: Record<string, TensorJson>,
  part: string,
): Result<Record<string, HostTensor>> {
  const decoded: Record<string, HostTensor> = {};
  for (const [name, json] of Object.entries(tensors)) {
    const tensor = tensorFromJson(json, `${part}.${name}`);
    if (!tensor.ok) return tensor;
    decoded[name] = tensor.value;
  }
  return ok(decoded);
}

/** Decodes the tensors of a schema-checked pair; a thrown error (allocation) becomes a failed result too. */
function decodeGoldenPair(json: z.output<typeof goldenPairSchema>): Result<GoldenPair> {
  try {
    const inputs = decodeTensors(json.inputs, 'inputs');
    if (!inputs.ok) return inputs;
    const outputs = decodeTensors(json.outputs, 'outputs');
    if (!outputs.ok) return outputs;
    return ok({ inputs: inputs.value, outputs: outputs.value, tolerance: { ...json.tolerance } });
  } catch (error) {
    return unreadable(error);
  }
}

const unreadable = (error: unknown): Result<never> =>
  fail({
    kind: 'invalid',
    message: `golden pair could not be read: ${error instanceof Error ? error.message : String(error)}`,
  });

/**
 * Checks an already-parsed JSON value as a golden pair and decodes its tensors; never throws. Errors are
 * ParseErrors whose `path` names the field at fault (`inputs.x.dims`, `outputs.y`).
 */
export function validateGoldenPair(json: unknown): Result<GoldenPair> {
  let parsed: Result<z.output<typeof goldenPairSchema>>;
  try {
    parsed = validateMessage(goldenPairSchema, json);
  } catch (error) {
    return unreadable(error); // a getter or proxy in a hand-built value: hostile input is never a crash
  }
  return parsed.ok ? decodeGoldenPair(parsed.value) : parsed;
}

/**
 * Parses a golden pair file (UTF-8 JSON, at most {@link MAX_GOLDEN_BYTES}) and decodes its tensors;
 * never throws. Errors: `too_large`, `invalid_json`, `unsupported_version`, `invalid` (with `path`).
 * @example const pair = parseGoldenPair(bytes); if (!pair.ok) refuse(pair.error.message);
 */
export function parseGoldenPair(payload: string | Uint8Array): Result<GoldenPair> {
  const parsed = parseMessage(goldenPairSchema, payload, { maxBytes: MAX_GOLDEN_BYTES });
  return parsed.ok ? decodeGoldenPair(parsed.value) : parsed;
}
