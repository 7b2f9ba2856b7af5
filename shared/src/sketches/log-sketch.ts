import { z } from '../zod';
import { MAX_STORE_BINS } from './bin-store';
import { SketchMismatchError } from './errors';
import { isValidRelativeAccuracy } from './log-mapping';
import { finiteNumber } from './wire';

// What DDSketch and QuantileSketch (log-mapped bin stores) share: their options, their merge rule and the
// wire fields of their parameters and stores.

/** Options of a log-mapped sketch: α and the bound on bins per store (lowest bins collapse beyond it). */
export interface LogSketchOptions {
  relativeAccuracy?: number;
  maxBins?: number;
}

/** Largest key magnitude on the wire (a bigger key's bin value would overflow). */
export const MAX_KEY_MAGNITUDE = 1e8;

/** Wire fields of a sketch's parameters. */
export const logSketchParamsWire = {
  v: z.literal(1),
  alpha: finiteNumber.check(z.refine(isValidRelativeAccuracy, { message: 'expected 1e-4 ≤ alpha ≤ 0.5' })),
  maxBins: z.int().check(z.gte(16), z.lte(MAX_STORE_BINS)),
};

/** Wire fields of one bin store: counts of keys from `key0` on; -k skips k empty bins. */
export const binStoreWire = {
  key0: z.int().check(z.gte(-MAX_KEY_MAGNITUDE), z.lte(MAX_KEY_MAGNITUDE)),
  bins: z
    .array(z.int().check(z.gte(-MAX_STORE_BINS), z.lte(Number.MAX_SAFE_INTEGER)))
    .check(z.maxLength(MAX_STORE_BINS)),
};

/** The options with their defaults (α 0.01, 2048 bins); throws RangeError for values out of range. */
export function logSketchOptions(options: LogSketchOptions): { relativeAccuracy: number; maxBins: number } {
  const { relativeAccuracy = 0.01, maxBins = 2048 } = options;
  if (!isValidRelativeAccuracy(relativeAccuracy))
    throw new RangeError('relativeAccuracy must be in [1e-4, 0.5]');
  if (!Number.isInteger(maxBins) || maxBins < 16 || maxBins > MAX_STORE_BINS) {
    throw new RangeError(`maxBins must be an integer in [16, ${MAX_STORE_BINS}]`);
  }
  return { relativeAccuracy, maxBins };
}

type LogSketchParams = { readonly relativeAccuracy: number; readonly maxBins: number };

/** Throws {@link SketchMismatchError} unless `other` can be merged into `into` (same α and maxBins). */
export function checkMergeable(into: LogSketchParams, other: LogSketchParams): void {
  if (other.relativeAccuracy !== into.relativeAccuracy) {
    throw new SketchMismatchError(
      'relativeAccuracy',
      `cannot merge α=${other.relativeAccuracy} into α=${into.relativeAccuracy}`,
    );
  }
  if (other.maxBins !== into.maxBins) {
    throw new SketchMismatchError(
      'maxBins',
      `cannot merge maxBins=${other.maxBins} into maxBins=${into.maxBins}`,
    );
  }
}

/** Estimated `q`-quantile from `inner(rank)`, clamped to [min, max]; q = 0 / 1 give min / max; NaN if empty. */
export function clampedQuantile(
  sketch: { count: number; min: number; max: number },
  q: number,
  inner: (rank: number) => number,
): number {
  if (!(q >= 0 && q <= 1) || sketch.count === 0) return Number.NaN;
  if (q === 0) return sketch.min;
  if (q === 1) return sketch.max;
  return Math.min(sketch.max, Math.max(sketch.min, inner(q * (sketch.count - 1))));
}
