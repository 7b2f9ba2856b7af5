import { ok, type Result } from '../result';
import { z } from '../zod';
import { BinStore } from './bin-store';
import { LogMapping } from './log-mapping';
import {
  binStoreWire,
  checkMergeable,
  clampedQuantile,
  type LogSketchOptions,
  logSketchOptions,
  logSketchParamsWire,
} from './log-sketch';
import { countNumber, finiteNumber, invalid, parseWire } from './wire';

/** Options of a {@link QuantileSketch}; `maxBins` bounds each of the two stores. */
export type QuantileSketchOptions = LogSketchOptions;

const storeJsonSchema = z.object(binStoreWire);

/** Wire form of a {@link QuantileSketch}: Datadog log-mapping keys of |x| for each sign. */
export const quantileSketchJsonSchema = z.object({
  ...logSketchParamsWire,
  count: countNumber,
  zero: countNumber,
  invalid: countNumber,
  min: finiteNumber,
  max: finiteNumber,
  pos: storeJsonSchema,
  neg: storeJsonSchema,
});

/** Wire form of a {@link QuantileSketch}. */
export type QuantileSketchJSON = z.infer<typeof quantileSketchJsonSchema>;

/**
 * DDSketch-style quantile sketch for values of any sign: a positive store, a negative store
 * (keys of |x|) and a zero bucket (|x| ≤ minIndexable). Quantiles are within `relativeAccuracy`
 * of the exact ones (relative to |x|). NaN and ±Infinity are counted in `invalidCount` only.
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  count = 0;
  zeroCount = 0;
  invalidCount = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private readonly mapping: LogMapping;
  private readonly multiplier: number;
  private readonly minIndexable: number;
  private readonly maxIndexable: number;
  private readonly pos: BinStore;
  private readonly neg: BinStore;

  constructor(options: QuantileSketchOptions = {}) {
    const { relativeAccuracy, maxBins } = logSketchOptions(options);
    this.relativeAccuracy = relativeAccuracy;
    this.maxBins = maxBins;
    this.mapping = new LogMapping(relativeAccuracy);
    this.multiplier = this.mapping.multiplier;
    this.minIndexable = this.mapping.minIndexable;
    this.maxIndexable = this.mapping.maxIndexable;
    this.pos = new BinStore(maxBins);
    this.neg = new BinStore(maxBins);
  }

  /** Adds one value; allocation-free unless a store's key range grows. */
  add(x: number): void {
    if (x > this.minIndexable) {
      if (!(x <= this.maxIndexable)) {
        this.invalidCount++;
        return;
      }
      this.pos.add(Math.ceil(Math.log2(x) * this.multiplier), 1);
    } else if (x < -this.minIndexable) {
      if (!(x >= -this.maxIndexable)) {
        this.invalidCount++;
        return;
      }
      this.neg.add(Math.ceil(Math.log2(-x) * this.multiplier), 1);
    } else if (!Number.isNaN(x)) {
      this.zeroCount++;
      x += 0; // -0 → 0, so min/max and quantiles survive a JSON round trip
    } else {
      this.invalidCount++;
      return;
    }
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Adds every value of `xs`. */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  /** Estimated `q`-quantile (0 ≤ q ≤ 1), clamped to [min, max] (q = 0 / 1 give the exact min / max); NaN if empty. */
  quantile(q: number): number {
    return clampedQuantile(this, q, (rank) => {
      const negCount = this.count - this.zeroCount - this.pos.count;
      if (rank < negCount) return -this.mapping.value(this.neg.keyAtRankFromTop(rank));
      if (rank < negCount + this.zeroCount) return 0;
      return this.mapping.value(this.pos.keyAtRank(rank - negCount - this.zeroCount));
    });
  }

  /** Estimated quantiles for each of `qs`. */
  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q));
  }

  /** Adds `other` into this sketch; throws {@link SketchMismatchError} if α or maxBins differ. */
  merge(other: QuantileSketch): this {
    checkMergeable(this, other);
    this.pos.merge(other.pos);
    this.neg.merge(other.neg);
    this.count += other.count;
    this.zeroCount += other.zeroCount;
    this.invalidCount += other.invalidCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** An independent copy. */
  clone(): QuantileSketch {
    const c = new QuantileSketch({ relativeAccuracy: this.relativeAccuracy, maxBins: this.maxBins });
    c.pos.copyFrom(this.pos);
    c.neg.copyFrom(this.neg);
    c.count = this.count;
    c.zeroCount = this.zeroCount;
    c.invalidCount = this.invalidCount;
    c.min = this.min;
    c.max = this.max;
    return c;
  }

  /** Compact JSON (trimmed bins per sign, runs of empty bins as -k); `min`/`max` are 0 when empty. */
  toJSON(): QuantileSketchJSON {
    const empty = this.count === 0;
    return {
      v: 1,
      alpha: this.relativeAccuracy,
      maxBins: this.maxBins,
      count: this.count,
      zero: this.zeroCount,
      invalid: this.invalidCount,
      min: empty ? 0 : this.min + 0, // + 0 turns -0 into 0
      max: empty ? 0 : this.max + 0,
      pos: this.pos.encode(),
      neg: this.neg.encode(),
    };
  }

  /** Parses and checks a {@link QuantileSketchJSON}; never throws. */
  static fromJSON(json: unknown): Result<QuantileSketch> {
    const parsed = parseWire(quantileSketchJsonSchema, json, 'QuantileSketch');
    if (!parsed.ok) return parsed;
    const j = parsed.value;
    const s = new QuantileSketch({ relativeAccuracy: j.alpha, maxBins: j.maxBins });
    for (const side of ['pos', 'neg'] as const) {
      const bad = s[side].decode(j[side].key0, j[side].bins);
      if (bad) return invalid('QuantileSketch', `${side}.bins`, bad);
    }
    const total = j.zero + s.pos.count + s.neg.count;
    if (total !== j.count)
      return invalid('QuantileSketch', 'count', `count ${j.count} ≠ sum of bins ${total}`);
    if (j.count > 0 && !(j.min <= j.max)) return invalid('QuantileSketch', 'min', 'expected min ≤ max');
    s.count = j.count;
    s.zeroCount = j.zero;
    s.invalidCount = j.invalid;
    if (j.count > 0) {
      s.min = j.min;
      s.max = j.max;
    }
    return ok(s);
  }
}
