import type { ParseError, Result } from '../result';
import { fail, ok } from '../result';

/** Memory layout of an image tensor: channels-first or channels-last. */
export type ImageLayout = 'NCHW' | 'NHWC';

/** Validated shape of an image tensor; `item*Stride` values are element offsets. */
export interface ImageGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  layout: ImageLayout;
  /** Elements per image (c·h·w). */
  itemSize: number;
  /** Pixels per image (h·w). */
  pixels: number;
}

const invalid = (message: string, path: string): Result<never> =>
  fail<ParseError>({ kind: 'invalid', message, path });

const isDim = (d: number | undefined): d is number => d !== undefined && Number.isSafeInteger(d) && d >= 0;

/**
 * Checks an image tensor's dims against its data: 4-D `[N,C,H,W]` / `[N,H,W,C]`, or 3-D without the
 * batch (`[C,H,W]` / `[H,W,C]`, N = 1). Every dim must be a positive integer and the product must equal
 * `length`, so the kernels can never read out of bounds.
 */
export function imageGeometry(
  length: number,
  dims: readonly number[],
  layout: string,
): Result<ImageGeometry> {
  if (layout !== 'NCHW' && layout !== 'NHWC') {
    return invalid(`expected layout 'NCHW' or 'NHWC', got ${JSON.stringify(String(layout))}`, 'layout');
  }
  if (!Array.isArray(dims) || (dims.length !== 3 && dims.length !== 4)) {
    return invalid(`expected 3 or 4 dims, got ${Array.isArray(dims) ? dims.length : typeof dims}`, 'dims');
  }
  for (let i = 0; i < dims.length; i++) {
    if (!isDim(dims[i]))
      return invalid(`expected non-negative integer dims, got [${dims.join(',')}]`, 'dims');
  }
  const full = dims.length === 4 ? dims : [1, ...dims];
  const n = full[0]!;
  const [c, h, w] = layout === 'NCHW' ? [full[1]!, full[2]!, full[3]!] : [full[3]!, full[1]!, full[2]!];
  if (n === 0 || c === 0 || h === 0 || w === 0) {
    return invalid(`expected every dim > 0 (N=${n} C=${c} H=${h} W=${w})`, 'dims');
  }
  const pixels = h * w;
  const itemSize = pixels * c;
  const total = itemSize * n;
  if (!Number.isSafeInteger(total) || total !== length) {
    return invalid(`dims [${dims.join(',')}] hold ${total} values but data has ${length}`, 'dims');
  }
  return ok({ n, c, h, w, layout, itemSize, pixels });
}
