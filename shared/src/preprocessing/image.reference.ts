import type { ImagePreprocessing } from '../protocol/preprocessing';
import type { RawImage } from './image';

/**
 * Deliberately naive reference for {@link preprocessImages} (one image, float64 throughout, written
 * from the documented semantics, not from the fast code): tests compare the two.
 */
export function referencePreprocess(image: RawImage, spec: ImagePreprocessing): number[] {
  const { width: w, height: h } = image;
  const W = spec.width;
  const H = spec.height;
  const gray = spec.channelOrder === 'GRAY';
  const C = gray ? 1 : 3;
  const pixel = (x: number, y: number, c: number): number => {
    const i = (y * w + x) * image.channels;
    if (gray) {
      if (image.channels === 1) return image.data[i]!;
      return 0.299 * image.data[i]! + 0.587 * image.data[i + 1]! + 0.114 * image.data[i + 2]!;
    }
    if (image.channels === 1) return image.data[i]!;
    const src = spec.channelOrder === 'BGR' ? 2 - c : c;
    return image.data[i + src]!;
  };
  let sx: number;
  let sy: number;
  let ox = 0;
  let oy = 0;
  let pw = W;
  let ph = H;
  let cx = 0;
  let cy = 0;
  if (spec.resize === 'stretch') {
    sx = w / W;
    sy = h / H;
  } else if (spec.resize === 'letterbox') {
    const s = Math.min(W / w, H / h);
    pw = Math.min(W, Math.max(1, Math.round(w * s)));
    ph = Math.min(H, Math.max(1, Math.round(h * s)));
    ox = Math.floor((W - pw) / 2);
    oy = Math.floor((H - ph) / 2);
    sx = w / pw;
    sy = h / ph;
  } else {
    const s = Math.max(W / w, H / h);
    cx = (w - W / s) / 2;
    cy = (h - H / s) / 2;
    sx = 1 / s;
    sy = 1 / s;
  }
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const out: number[] = new Array(C * W * H).fill(0);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        let v: number;
        const inside = x >= ox && x < ox + pw && y >= oy && y < oy + ph;
        if (!inside) {
          v = 0;
        } else {
          const fx = clamp(cx + (x - ox + 0.5) * sx - 0.5, w - 1);
          const fy = clamp(cy + (y - oy + 0.5) * sy - 0.5, h - 1);
          const x0 = Math.floor(fx);
          const y0 = Math.floor(fy);
          const x1 = Math.min(x0 + 1, w - 1);
          const y1 = Math.min(y0 + 1, h - 1);
          const tx = fx - x0;
          const ty = fy - y0;
          v =
            pixel(x0, y0, c) * (1 - tx) * (1 - ty) +
            pixel(x1, y0, c) * tx * (1 - ty) +
            pixel(x0, y1, c) * (1 - tx) * ty +
            pixel(x1, y1, c) * tx * ty;
        }
        const value = (v * spec.scale - spec.mean[c]!) / spec.std[c]!;
        const o = spec.layout === 'NCHW' ? c * W * H + y * W + x : (y * W + x) * C + c;
        out[o] = value;
      }
    }
  }
  return out;
}
