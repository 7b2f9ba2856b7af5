import { describe, expect, it } from 'vitest';
import type { ImagePreprocessing } from '../protocol/preprocessing';
import { imageFeatureOptionsFor, preprocessedRange } from './feature-options';

const base: ImagePreprocessing = {
  kind: 'image',
  layout: 'NCHW',
  width: 4,
  height: 4,
  resize: 'stretch',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  dtype: 'float32',
};

describe('preprocessedRange', () => {
  it('is the union of the channel ranges', () => {
    const r = preprocessedRange(base);
    expect(r.min).toBeCloseTo(-0.485 / 0.229, 6);
    expect(r.max).toBeCloseTo((1 - 0.406) / 0.225, 6);
    expect(preprocessedRange({ ...base, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] })).toEqual({
      min: -1,
      max: 1,
    });
    expect(preprocessedRange({ ...base, dtype: 'uint8' })).toEqual({ min: 0, max: 255 });
  });
  it('uses BGR luma weights for BGR tensors', () => {
    expect(imageFeatureOptionsFor({ ...base, channelOrder: 'BGR' }).lumaWeights).toEqual([
      0.114, 0.587, 0.299,
    ]);
    expect(imageFeatureOptionsFor(base).lumaWeights).toBeUndefined();
  });
});
