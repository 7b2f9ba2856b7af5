import type { ImagePreprocessing } from '../protocol/preprocessing';

/**
 * Where the source image lands in the output: output pixel (x, y) inside the placed rectangle samples
 * source coordinate `srcX = srcX0 + (x - dstX0 + 0.5) * scaleX - 0.5` (half-pixel centres, as OpenCV
 * `INTER_LINEAR` and PyTorch `align_corners=false`); pixels outside it (letterbox bands) are padding.
 */
export interface ResizePlan {
  /** Placed rectangle in the output, in output pixels. */
  dstX0: number;
  dstY0: number;
  dstW: number;
  dstH: number;
  /** Top-left of the sampled source region, in source pixels. */
  srcX0: number;
  srcY0: number;
  /** Source pixels per output pixel. */
  scaleX: number;
  scaleY: number;
}

/**
 * Plans the resize of a `srcW`×`srcH` image to the spec's `width`×`height`:
 * - `stretch`: the whole image onto the whole output (aspect ratio not kept);
 * - `letterbox`: the whole image scaled by `min(W/w, H/h)`, centred, the bands padded;
 * - `center_crop`: scaled by `max(W/w, H/h)` so it covers the output, the centre kept.
 */
export function planResize(
  srcW: number,
  srcH: number,
  spec: Pick<ImagePreprocessing, 'width' | 'height' | 'resize'>,
): ResizePlan {
  const { width: W, height: H } = spec;
  if (spec.resize === 'letterbox') {
    const s = Math.min(W / srcW, H / srcH);
    const dstW = Math.min(W, Math.max(1, Math.round(srcW * s)));
    const dstH = Math.min(H, Math.max(1, Math.round(srcH * s)));
    return {
      dstX0: Math.floor((W - dstW) / 2),
      dstY0: Math.floor((H - dstH) / 2),
      dstW,
      dstH,
      srcX0: 0,
      srcY0: 0,
      scaleX: srcW / dstW,
      scaleY: srcH / dstH,
    };
  }
  if (spec.resize === 'center_crop') {
    const s = Math.max(W / srcW, H / srcH);
    const cropW = W / s;
    const cropH = H / s;
    return {
      dstX0: 0,
      dstY0: 0,
      dstW: W,
      dstH: H,
      srcX0: (srcW - cropW) / 2,
      srcY0: (srcH - cropH) / 2,
      scaleX: cropW / W,
      scaleY: cropH / H,
    };
  }
  return { dstX0: 0, dstY0: 0, dstW: W, dstH: H, srcX0: 0, srcY0: 0, scaleX: srcW / W, scaleY: srcH / H };
}

/** Bilinear taps along one axis: for output index i, `lo[i]`, `hi[i]` and the weight `t[i]` of `hi`. */
export interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  t: Float32Array;
}

/** Taps for `n` output samples starting at source `src0` with `scale` source pixels per sample. */
export function axisTaps(n: number, src0: number, scale: number, srcSize: number): AxisTaps {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const t = new Float32Array(n);
  const last = srcSize - 1;
  for (let i = 0; i < n; i++) {
    let s = src0 + (i + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > last) s = last;
    const l = Math.floor(s);
    lo[i] = l;
    hi[i] = l < last ? l + 1 : l;
    t[i] = s - l;
  }
  return { lo, hi, t };
}
