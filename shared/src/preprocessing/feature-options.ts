import type { ImageFeatureOptions } from '../features/image';
import type { ImagePreprocessing } from '../protocol/preprocessing';

/**
 * Value range a preprocessed tensor can take under `spec`: pixel values 0 and 255 through
 * `(pixel * scale - mean[c]) / std[c]`, the union over channels (integer dtypes clamp to their own range).
 */
export function preprocessedRange(spec: ImagePreprocessing): { min: number; max: number } {
  if (spec.dtype === 'uint8') return { min: 0, max: 255 };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < spec.mean.length; c++) {
    const lo = (0 * spec.scale - spec.mean[c]!) / spec.std[c]!;
    const hi = (255 * spec.scale - spec.mean[c]!) / spec.std[c]!;
    min = Math.min(min, lo, hi);
    max = Math.max(max, lo, hi);
  }
  if (spec.dtype === 'int8') return { min: Math.max(min, -128), max: Math.min(max, 127) };
  return { min, max };
}

/**
 * Options for `imageFeatures` on tensors preprocessed by `spec` — the range from {@link preprocessedRange}
 * and BT.601 luma weights in the tensor's channel order — so the agent, the browser and the server's
 * baseline builder compute the same features from the same spec.
 */
export function imageFeatureOptionsFor(spec: ImagePreprocessing): ImageFeatureOptions {
  return {
    range: preprocessedRange(spec),
    ...(spec.channelOrder === 'BGR' ? { lumaWeights: [0.114, 0.587, 0.299] } : {}),
  };
}
