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
import { countNumber, finiteNumber, invalid, jsonSafe, parseWire } from './wire';

/** Options of a {@link DDSketch}: α and the bound on bins (lowest bins collapse beyond it). */
export type DDSketchOptions = LogSketchOptions;

/** Wire form of a {@link DDSketch}: `bins` counts keys from `key0` on (Datadog log mapping); -k skips k empty bins. */
export const ddSketchJsonSchema = z.object({
  ...logSketchParamsWire,
  count: countNumber,
  zero: countNumber,
  invalid: countNumber,
  sum: finiteNumber,
  min: finiteNumber,
  max: finiteNumber,
  ...binStoreWire,
});

/** Wire form of a {@link DDSketch}. */
export type DDSketchJSON = z.infer<typeof ddSketchJsonSchema>;

/**
 * DDSketch for non-negative values (latencies): quantiles within `relativeAccuracy` of the
 * exact ones, bounded bins, exact count/sum/min/max. Negative values, NaN and ±Infinity are
 * not folded in: they are counted in `invalid` and excluded from count, sum and quantiles.
 * @example const s = new DDSketch(); s.add(12.5); s.quantile(0.99);
 */
export class DDSketch {
  readonly relativeAccuracy: number;
  readonly maxBins: number;
  /** Valid values added (zero bucket + positive bins). */
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Values in [0, minIndexable], counted as zero. */
  zeroCount = 0;
  /** Negative, NaN or infinite values seen. */
  invalidCount = 0;
  private readonly mapping: LogMapping;
  private readonly multiplier: number;
  private readonly minIndexable: number;
  private readonly maxIndexable: number;
  private store: BinStore;

  constructor(options: DDSketchOptions = {}) {
    const { relativeAccuracy, maxBins } = logSketchOptions(options);
    this.relativeAccuracy = relativeAccuracy;
    this.maxBins = maxBins;
    this.mapping = new LogMapping(relativeAccuracy);
    this.multiplier = this.mapping.multiplier;
    this.minIndexable = this.mapping.minIndexable;
    this.maxIndexable = this.mapping.maxIndexable;
    this.store = new BinStore(maxBins);
  }

  /** Adds one value; allocation-free unless the key range grows. */
  add(x: number): void {
    if (x > this.minIndexable && x <= this.maxIndexable) {
      this.store.add(Math.ceil(Math.log2(x) * this.multiplier), 1);
    } else if (x >= 0 && x <= this.minIndexable) {
      this.zeroCount++;
      x += 0; // -0 → 0, so min/max and quantiles survive a JSON round trip
    } else {
      this.invalidCount++;
      return;
    }
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Adds every value of `xs`. */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  /** Estimated `q`-quantile (0 ≤ q ≤ 1) of the valid values, clamped to [min, max] (q = 0 / 1 give the exact min / max); NaN if empty. */
  quantile(q: number): number {
    return clampedQuantile(this, q, (rank) =>
      rank < this.zeroCount ? 0 : this.mapping.value(this.store.keyAtRank(rank - this.zeroCount)),
    );
  }

  /**
   * The lower or upper edge of the bin holding the value of 0-based `rank` (ascending), clamped to [min, max]:
   * the exact value lies between the two (for quantile bounds, see `quantileInterval` in `stats`). The zero
   * bucket spans [0, minIndexable]. NaN if empty or the rank is out of range.
   */
  valueAtRank(rank: number, edge: 'lower' | 'upper'): number {
    if (!(rank >= 0 && rank < this.count)) return Number.NaN;
    let value: number;
    if (rank < this.zeroCount) value = edge === 'lower' ? 0 : this.minIndexable;
    else {
      const key = this.store.keyAtRank(rank - this.zeroCount);
      // Bin `key` holds (γ^(key−1), γ^key]; the mapping's value is 2γ^key/(1 + γ). The lowest bin may hold
      // collapsed lower keys (maxBins), so its lower edge is the sketch's minimum.
      const gamma = this.mapping.gamma;
      const representative = this.mapping.value(key);
      if (edge === 'upper') value = (representative * (1 + gamma)) / 2;
      else value = key <= this.store.minKey ? this.min : (representative * (1 + gamma)) / (2 * gamma);
    }
    return Math.min(this.max, Math.max(this.min, value));
  }

  /** Estimated quantiles for each of `qs`. */
  quantiles(qs: readonly number[]): number[] {
    return qs.map((q) => this.quantile(q));
  }

  /** Mean of the valid values (NaN if empty). */
  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** Adds `other` into this sketch; throws {@link SketchMismatchError} if α or maxBins differ. */
  merge(other: DDSketch): this {
    checkMergeable(this, other);
    this.store.merge(other.store);
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    this.invalidCount += other.invalidCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /**
   * Adds a sketch given by its checked wire fields (same α and maxBins as this one, bins within
   * maxBins, counts adding up: see `fromJSON`), exactly as `merge(DDSketch.fromJSON(json))` would.
   */
  mergeEncoded(
    count: number,
    zero: number,
    invalid: number,
    sum: number,
    min: number,
    max: number,
    key0: number,
    bins: readonly number[],
  ): this {
    this.store.mergeEncoded(key0, bins);
    this.count += count;
    this.sum += count > 0 ? 0 + sum : 0;
    this.zeroCount += zero;
    this.invalidCount += invalid;
    if (count > 0) {
      if (min < this.min) this.min = min;
      if (max > this.max) this.max = max;
    }
    return this;
  }

  /** An independent copy. */
  clone(): DDSketch {
    const c = new DDSketch({ relativeAccuracy: this.relativeAccuracy, maxBins: this.maxBins });
    c.store.copyFrom(this.store);
    c.count = this.count;
    c.sum = this.sum;
    c.min = this.min;
    c.max = this.max;
    c.zeroCount = this.zeroCount;
    c.invalidCount = this.invalidCount;
    return c;
  }

  /** Count in the bin of Datadog key `key` (for tests and wire conversion). */
  binCount(key: number): number {
    return this.store.get(key);
  }

  /** Compact JSON (trimmed bins, runs of empty bins as -k); `min`/`max` are 0 when empty. */
  toJSON(): DDSketchJSON {
    const { key0, bins } = this.store.encode();
    const empty = this.count === 0;
    return {
      v: 1,
      alpha: this.relativeAccuracy,
      maxBins: this.maxBins,
      count: this.count,
      zero: this.zeroCount,
      invalid: this.invalidCount,
      sum: jsonSafe(this.sum),
      min: empty ? 0 : this.min + 0, // + 0 turns -0 into 0
      max: empty ? 0 : this.max + 0,
      key0,
      bins,
    };
  }

  /** Parses and checks a {@link DDSketchJSON} (counts add up, min ≤ max, bins ≤ maxBins); never throws. */
  static fromJSON(json: unknown): Result<DDSketch> {
    const parsed = parseWire(ddSketchJsonSchema, json, 'DDSketch');
    if (!parsed.ok) return parsed;
    const j = parsed.value;
    const s = new DDSketch({ relativeAccuracy: j.alpha, maxBins: j.maxBins });
    const bad = s.store.decode(j.key0, j.bins);
    if (bad) return invalid('DDSketch', 'bins', bad);
    if (s.store.count + j.zero !== j.count) {
      return invalid('DDSketch', 'count', `count ${j.count} ≠ zero ${j.zero} + bins ${s.store.count}`);
    }
    if (j.count > 0 && !(j.min >= 0 && j.min <= j.max)) {
      return invalid('DDSketch', 'min', 'expected 0 ≤ min ≤ max');
    }
    s.count = j.count;
    s.zeroCount = j.zero;
    s.invalidCount = j.invalid;
    if (j.count > 0) {
      s.sum = j.sum;
      s.min = j.min;
      s.max = j.max;
    }
    return ok(s);
  }
}
