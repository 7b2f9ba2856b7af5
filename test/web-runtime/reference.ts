import { preprocessImage, type RawImage } from '@edgefleet/shared';
import * as ort from 'onnxruntime-node';
import { CLS_PREPROCESSING } from './fleet';

/** Deterministic RGBA pixels (a gradient with text-like stripes) for the same image in Node and the page. */
export function testImage(width: number, height: number, seed: number): RawImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const i = (y * width + x) * 4;
      const stripe = (x >> 3) % 3 === 0 && y > height / 4 && y < (3 * height) / 4 ? 0 : 200;
      data[i] = (stripe + (s & 31)) & 255;
      data[i + 1] = (stripe + x) & 255;
      data[i + 2] = (stripe + y * 2) & 255;
      data[i + 3] = 255;
    }
  }
  return { data, width, height, channels: 4 };
}

/** Runs the cls model in onnxruntime-node on a tensor. */
export async function nodeOutputs(model: Uint8Array, data: Float32Array, dims: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', data, dims) });
    return Array.from(out[session.outputNames[0]!]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The image preprocessed in Node with the shared code path. */
export function nodeTensor(image: RawImage): { data: Float32Array; dims: number[] } {
  const t = preprocessImage(image, CLS_PREPROCESSING);
  if (!t.ok) throw new Error(t.error.message);
  return { data: t.value.data as Float32Array, dims: t.value.dims };
}

/** Largest absolute difference of two equally long vectors. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
