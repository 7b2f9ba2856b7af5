import {
  type BaselineSample,
  buildBaseline,
  classifierFeatures,
  type ImagePreprocessing,
  imageFeatureOptionsFor,
  imageFeatures,
  preprocessImage,
} from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { CLS_PREPROCESSING, textLineImage } from '../../testing/reference';
import type { ServerModel } from '../inference';
import { computeReferenceBaseline } from './baseline';
import { decodeReferenceImage } from './decode';

const SCORES = [0.7, 0.3];

/** A stand-in model: the same two class scores for every item, so only the input features vary. */
const fakeModel: ServerModel = {
  inputNames: ['x'],
  outputNames: ['y'],
  async run(inputs) {
    const n = inputs.x!.dims[0]!;
    const data = Float32Array.from({ length: 2 * n }, (_, i) => SCORES[i % 2]!);
    return { y: { dtype: 'float32', dims: [n, 2], data } };
  },
  async release() {},
};

describe('computeReferenceBaseline', () => {
  it('computes image features as a client does: a uint8 tensor as fed, with imageFeatureOptionsFor(spec)', async () => {
    // Negative values clamp to 0 in the uint8 tensor, so features of the float values would differ.
    const spec: ImagePreprocessing = {
      ...CLS_PREPROCESSING,
      scale: 1,
      mean: [128, 128, 128],
      std: [1, 1, 1],
      dtype: 'uint8',
    };
    const pngs = await Promise.all(Array.from({ length: 10 }, (_, i) => textLineImage(i)));
    const computed = await computeReferenceBaseline({
      model: fakeModel,
      signature: { inputs: [{ name: 'x', type: 'uint8', shape: ['batch', 3, 48, 192] }], outputs: [] },
      preprocessing: spec,
      files: (async function* () {
        for (const [i, png] of pngs.entries()) {
          yield { path: `${i}.png`, sizeBytes: png.byteLength, read: async () => png };
        }
      })(),
      options: { bins: 4 },
    });
    const samples: BaselineSample[] = [];
    for (const [i, png] of pngs.entries()) {
      const input = preprocessImage(await decodeReferenceImage(png, `${i}.png`), spec);
      if (!input.ok) throw new Error(input.error.message);
      expect(input.value.data).toBeInstanceOf(Uint8Array);
      const features = imageFeatures(
        input.value.data as Uint8Array,
        input.value.dims,
        'NCHW',
        imageFeatureOptionsFor(spec),
      );
      const outputs = classifierFeatures(Float32Array.from(SCORES), [1, 2]);
      if (!features.ok || !outputs.ok) throw new Error('feature extraction failed');
      const { top1, confidence, margin } = outputs.value;
      samples.push({ inputs: { ...features.value }, outputs: { confidence, margin }, label: top1 });
    }
    const expected = buildBaseline(samples, { bins: 4, classes: ['0', '1'] });
    expect(computed.spec).toEqual(expected.spec);
  });
});
