import { type ImagePreprocessing, imageTensorDims, preprocessImage, type RawImage } from '@edgefleet/shared';
import { AgentError } from '../errors';
import type { ModelSession } from '../runtime/model-session';
import { type AgentTensor, elementCount } from '../runtime/tensor';

/**
 * What a caller asks to infer: a ready tensor, or decoded pixels that the version's spec preprocesses (with the
 * encoded bytes they came from, kept for the operator when the prediction goes to review).
 */
export type InferInput =
  | { kind: 'tensor'; tensor: AgentTensor }
  | { kind: 'image'; image: RawImage; encoded?: Uint8Array };

const DTYPE_ARRAYS: Record<string, new (n: number) => ArrayLike<number>> = {
  float32: Float32Array,
  float16: Uint16Array,
  uint8: Uint8Array,
  int8: Int8Array,
};

/** Checks a caller's tensor against the model: dtype, element count and every fixed dim. */
export function checkTensor(session: ModelSession, t: AgentTensor): void {
  const p = session.preprocessing;
  if (t.dtype !== p.dtype) throw new AgentError('invalid_input', `expected dtype ${p.dtype}, got ${t.dtype}`);
  const Ctor = DTYPE_ARRAYS[p.dtype];
  if (Ctor && !(t.data instanceof Ctor)) throw new AgentError('invalid_input', `expected ${Ctor.name} data`);
  const n = elementCount(t.dims);
  if (!(n >= 1) || t.dims.length > 8) {
    throw new AgentError('invalid_input', `expected 1 to 8 positive integer dims, got [${t.dims.join(',')}]`);
  }
  if (n !== t.data.length) {
    throw new AgentError(
      'invalid_input',
      `dims [${t.dims.join(',')}] need ${n} values, got ${t.data.length}`,
    );
  }
  const expected = p.kind === 'image' ? imageTensorDims(p as ImagePreprocessing, -1) : session.inputShape();
  if (expected.length !== t.dims.length) {
    throw new AgentError(
      'invalid_input',
      `expected ${expected.length} dims [${expected.join(',')}], got [${t.dims.join(',')}]`,
    );
  }
  for (let i = 0; i < expected.length; i++) {
    const d = expected[i]!;
    if (d > 0 && d !== t.dims[i]) {
      throw new AgentError(
        'invalid_input',
        `expected dims [${expected.map((x) => (x > 0 ? x : 'N')).join(',')}], got [${t.dims.join(',')}]`,
      );
    }
  }
}

/** Turns an input into the model's tensor (preprocessing images per the version's spec). */
export function toModelTensor(session: ModelSession, input: InferInput): AgentTensor {
  if (input.kind === 'tensor') {
    checkTensor(session, input.tensor);
    return input.tensor;
  }
  const p = session.preprocessing;
  if (p.kind !== 'image') {
    throw new AgentError('invalid_input', `model ${session.label} takes a tensor, not an image`);
  }
  const r = preprocessImage(input.image, p);
  if (!r.ok) throw new AgentError('invalid_input', `image: ${r.error.message}`);
  return r.value;
}
