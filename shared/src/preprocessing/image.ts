import type { ImagePreprocessing } from '../protocol/preprocessing';
import type { ParseError, Result } from '../result';
import { fail, ok } from '../result';
import { allocTensorData, convertInto, type TensorData, type TensorDtype } from './dtype';
import { axisTaps, planResize } from './geometry';

/** Decoded pixels, interleaved, 8 bits per channel: 1 = gray, 3 = RGB, 4 = RGBA (alpha ignored). */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** A model input tensor: data in `dtype`, dims `[N,C,H,W]` or `[N,H,W,C]`. */
export interface InputTensor {
  data: TensorData;
  dims: number[];
  dtype: TensorDtype;
}

/** Upper bound on decoded source pixels accepted (64 Mpx), so hostile sizes fail before allocating. */
export const MAX_SOURCE_PIXELS = 64 * 1024 * 1024;

const invalid = (message: string, path: string): Result<never> =>
  fail<ParseError>({ kind: 'invalid', message, path });

/** Channels the spec's tensor has: 1 for GRAY, else 3. */
export const specChannels = (spec: ImagePreprocessing): number => (spec.channelOrder === 'GRAY' ? 1 : 3);

/** Dims of a batch of `n` images under `spec`. */
export function imageTensorDims(spec: ImagePreprocessing, n = 1): number[] {
  const c = specChannels(spec);
  return spec.layout === 'NCHW' ? [n, c, spec.height, spec.width] : [n, spec.height, spec.width, c];
}

function checkImage(image: RawImage, path: string): Result<true> {
  const { width, height, channels, data } = image;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    return invalid(`expected positive integer width and height, got ${width}×${height}`, path);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    return invalid(`expected 1, 3 or 4 channels, got ${channels}`, path);
  }
  if (width * height > MAX_SOURCE_PIXELS) {
    return invalid(`expected at most ${MAX_SOURCE_PIXELS} pixels, got ${width}×${height}`, path);
  }
  if (data.length !== width * height * channels) {
    return invalid(
      `expected ${width * height * channels} bytes for ${width}×${height}×${channels}, got ${data.length}`,
      path,
    );
  }
  return ok(true);
}

// Float scratch per output size; conversion to non-float32 dtypes goes through it.
let scratch = new Float32Array(0);

/**
 * Turns decoded pixels into the model's input tensor per `spec` — the one preprocessing path shared by
 * the agent, the browser runtime and the server's baseline builder. Steps: bilinear resize (half-pixel
 * centres, no anti-aliasing — like OpenCV `INTER_LINEAR`; see {@link planResize} for stretch / letterbox
 * / center_crop; letterbox bands are pixel value 0 before normalisation), channel order (GRAY = BT.601
 * luma of RGB, computed per source pixel before resizing), `value = (pixel * scale - mean[c]) / std[c]`,
 * layout, dtype (float16 as bit patterns in a Uint16Array; integer types rounded and clamped). Several
 * images make a batch. Returns an error, never throws, for malformed images.
 */
export function preprocessImages(images: readonly RawImage[], spec: ImagePreprocessing): Result<InputTensor> {
  if (images.length === 0) return invalid('expected at least one image', 'images');
  for (let i = 0; i < images.length; i++) {
    const checked = checkImage(images[i]!, `images[${i}]`);
    if (!checked.ok) return checked;
  }
  const dims = imageTensorDims(spec, images.length);
  const itemSize = specChannels(spec) * spec.width * spec.height;
  const data = allocTensorData(spec.dtype, itemSize * images.length);
  for (let i = 0; i < images.length; i++) {
    if (data instanceof Float32Array) {
      writeImage(images[i]!, spec, data.subarray(i * itemSize, (i + 1) * itemSize));
    } else {
      if (scratch.length !== itemSize) scratch = new Float32Array(itemSize);
      writeImage(images[i]!, spec, scratch);
      convertInto(scratch, data, i * itemSize);
    }
  }
  return ok({ data, dims, dtype: spec.dtype });
}

/** {@link preprocessImages} for one image: a batch of 1. */
export function preprocessImage(image: RawImage, spec: ImagePreprocessing): Result<InputTensor> {
  return preprocessImages([image], spec);
}

/** Source channel read for each output channel (GRAY reads a precomputed luma plane). */
function channelMap(spec: ImagePreprocessing, srcChannels: number): number[] {
  if (spec.channelOrder === 'GRAY') return [0];
  if (srcChannels === 1) return [0, 0, 0];
  return spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
}

function lumaPlane(image: RawImage): Uint8Array | Float32Array | Uint8ClampedArray {
  if (image.channels === 1) return image.data;
  const { data, channels } = image;
  const n = image.width * image.height;
  const out = new Float32Array(n);
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    out[p] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  }
  return out;
}

/** Writes one image into `out` (float32, one item), every element overwritten. */
function writeImage(image: RawImage, spec: ImagePreprocessing, out: Float32Array): void {
  const gray = spec.channelOrder === 'GRAY';
  const src = gray ? lumaPlane(image) : image.data;
  const stride = gray ? 1 : image.channels;
  const rowStride = image.width * stride;
  const map = channelMap(spec, gray ? 1 : image.channels);
  const C = map.length;
  const W = spec.width;
  const H = spec.height;
  const plan = planResize(image.width, image.height, spec);
  const xs = axisTaps(plan.dstW, plan.srcX0, plan.scaleX, image.width);
  const ys = axisTaps(plan.dstH, plan.srcY0, plan.scaleY, image.height);
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = spec.scale / spec.std[c]!;
    b[c] = -spec.mean[c]! / spec.std[c]! + 0; // + 0 turns -0 into 0
  }
  const nchw = spec.layout === 'NCHW';
  const plane = W * H;
  if (plan.dstW !== W || plan.dstH !== H) {
    for (let c = 0; c < C; c++) {
      const pad = b[c]!;
      for (let p = 0; p < plane; p++) out[nchw ? c * plane + p : p * C + c] = pad;
    }
  }
  // Byte offsets of each tap column, hoisted out of the pixel loop.
  const xLo = new Int32Array(plan.dstW);
  const xHi = new Int32Array(plan.dstW);
  for (let x = 0; x < plan.dstW; x++) {
    xLo[x] = xs.lo[x]! * stride;
    xHi[x] = xs.hi[x]! * stride;
  }
  const xT = xs.t;
  for (let y = 0; y < plan.dstH; y++) {
    const r0 = ys.lo[y]! * rowStride;
    const r1 = ys.hi[y]! * rowStride;
    const ty = ys.t[y]!;
    const oy = plan.dstY0 + y;
    for (let c = 0; c < C; c++) {
      const sc = map[c]!;
      const ac = a[c]!;
      const bc = b[c]!;
      // NCHW: consecutive x are adjacent; NHWC: C apart.
      let o = nchw ? c * plane + oy * W + plan.dstX0 : (oy * W + plan.dstX0) * C + c;
      const step = nchw ? 1 : C;
      for (let x = 0; x < plan.dstW; x++, o += step) {
        const l = xLo[x]! + sc;
        const h = xHi[x]! + sc;
        const tx = xT[x]!;
        const p00 = src[r0 + l]!;
        const p01 = src[r0 + h]!;
        const p10 = src[r1 + l]!;
        const p11 = src[r1 + h]!;
        const top = p00 + (p01 - p00) * tx;
        const bottom = p10 + (p11 - p10) * tx;
        out[o] = (top + (bottom - top) * ty) * ac + bc;
      }
    }
  }
}
