/** Most bins a store may hold; also the cap on `maxBins` accepted from the wire. */
export const MAX_STORE_BINS = 8192;

const GROWTH_CHUNK = 64;

/**
 * Dense counts over consecutive integer keys, bounded to `maxBins` keys: when the key range
 * would grow wider, the lowest keys are collapsed into the lowest kept one (as Datadog's
 * `CollapsingLowestDenseStore`). add() allocates only when the key range grows past capacity.
 */
export class BinStore {
  readonly maxBins: number;
  bins: Float64Array = new Float64Array(0);
  /** Key of bins[0]. */
  offset = 0;
  minKey = Number.POSITIVE_INFINITY;
  maxKey = Number.NEGATIVE_INFINITY;

  constructor(maxBins: number) {
    this.maxBins = maxBins;
  }

  /** Adds `weight` to the bin of `key` (clamped into the kept range once collapsed). */
  add(key: number, weight: number): void {
    if (key < this.minKey || key > this.maxKey) key = this.extend(key);
    this.bins[key - this.offset]! += weight;
  }

  /** Sum of all bins (O(bins): kept off the add path). */
  get count(): number {
    let total = 0;
    for (let k = this.minKey; k <= this.maxKey; k++) total += this.bins[k - this.offset]!;
    return total;
  }

  /** Count in the bin of `key` (0 outside the range). */
  get(key: number): number {
    if (key < this.minKey || key > this.maxKey) return 0;
    return this.bins[key - this.offset]!;
  }

  /** Key of the bin holding the item at 0-based `rank` in ascending key order. */
  keyAtRank(rank: number): number {
    let running = 0;
    for (let k = this.minKey; k <= this.maxKey; k++) {
      running += this.bins[k - this.offset]!;
      if (running > rank) return k;
    }
    return this.maxKey;
  }

  /** Key of the bin holding the item at 0-based `rank` in descending key order. */
  keyAtRankFromTop(rank: number): number {
    let running = 0;
    for (let k = this.maxKey; k >= this.minKey; k--) {
      running += this.bins[k - this.offset]!;
      if (running > rank) return k;
    }
    return this.minKey;
  }

  /** Adds every bin of `other` into this store. */
  merge(other: BinStore): void {
    if (other.minKey > other.maxKey) return;
    // Extend once to the union so the per-bin adds below never relayout.
    this.add(other.maxKey, 0);
    this.add(other.minKey, 0);
    for (let k = other.minKey; k <= other.maxKey; k++) {
      const c = other.bins[k - other.offset]!;
      if (c !== 0) this.add(k, c);
    }
  }

  /** Adds an {@link encode}d store, exactly as `merge` of the store it {@link decode}s to (its whole key range included). */
  mergeEncoded(key0: number, encoded: readonly number[]): void {
    let length = 0;
    for (const e of encoded) length += e < 0 ? -e : 1;
    if (length === 0) return;
    this.add(key0 + length - 1, 0);
    this.add(key0, 0);
    let key = key0;
    for (const e of encoded) {
      if (e < 0) key -= e;
      else {
        if (e !== 0) this.add(key, e);
        key++;
      }
    }
  }

  /** Replaces this store's content with a copy of `other`'s. */
  copyFrom(other: BinStore): void {
    this.bins = other.bins.slice();
    this.offset = other.offset;
    this.minKey = other.minKey;
    this.maxKey = other.maxKey;
  }

  /**
   * Compact wire form: counts from the lowest to the highest non-empty key, where a negative
   * entry -k stands for k empty bins in a row (latency sketches are sparse).
   */
  encode(): { key0: number; bins: number[] } {
    let lo = this.minKey;
    let hi = this.maxKey;
    while (lo <= hi && this.bins[lo - this.offset] === 0) lo++;
    while (hi >= lo && this.bins[hi - this.offset] === 0) hi--;
    const bins: number[] = [];
    let zeros = 0;
    for (let k = lo; k <= hi; k++) {
      const c = this.bins[k - this.offset]!;
      if (c === 0) {
        zeros++;
        continue;
      }
      if (zeros === 1) bins.push(0);
      else if (zeros > 1) bins.push(-zeros);
      zeros = 0;
      bins.push(c);
    }
    return { key0: lo > hi ? 0 : lo, bins };
  }

  /** Loads an {@link encode}d form; returns an error message if it expands beyond maxBins. */
  decode(key0: number, encoded: readonly number[]): string | undefined {
    let length = 0;
    for (const e of encoded) {
      length += e < 0 ? -e : 1;
      if (length > this.maxBins) return `expands to more than maxBins ${this.maxBins} bins`;
    }
    if (length === 0) return undefined;
    const bins = new Float64Array(length);
    let i = 0;
    for (const e of encoded) {
      if (e < 0) i -= e;
      else bins[i++] = e;
    }
    this.bins = bins;
    this.offset = key0;
    this.minKey = key0;
    this.maxKey = key0 + length - 1;
    return undefined;
  }

  /** Grows or collapses the range to include `key`; returns the key to count it under. */
  private extend(key: number): number {
    let newMin = Math.min(this.minKey, key);
    const newMax = Math.max(this.maxKey, key);
    if (newMax - newMin + 1 > this.maxBins) newMin = newMax - this.maxBins + 1;
    this.relayout(newMin, newMax);
    return Math.max(key, newMin);
  }

  private relayout(newMin: number, newMax: number): void {
    const span = newMax - newMin + 1;
    const empty = this.minKey > this.maxKey;
    let collapsed = 0;
    if (!empty) {
      for (let k = this.minKey; k < newMin && k <= this.maxKey; k++) {
        const i = k - this.offset;
        collapsed += this.bins[i]!;
        this.bins[i] = 0;
      }
    }
    const keptMin = empty ? newMin : Math.max(this.minKey, newMin);
    const keptMax = empty ? newMin - 1 : this.maxKey;
    const fits = newMin >= this.offset && newMax < this.offset + this.bins.length;
    if (!fits) {
      const capacity =
        span > this.bins.length
          ? Math.min(this.maxBins, Math.max(span + GROWTH_CHUNK, this.bins.length * 2))
          : this.bins.length;
      const newOffset = newMin - Math.floor((capacity - span) / 2);
      const target = capacity === this.bins.length ? this.bins : new Float64Array(capacity);
      if (keptMin <= keptMax) {
        if (target === this.bins) {
          this.bins.copyWithin(keptMin - newOffset, keptMin - this.offset, keptMax - this.offset + 1);
          this.bins.fill(0, 0, keptMin - newOffset);
          this.bins.fill(0, keptMax - newOffset + 1);
        } else {
          target.set(
            this.bins.subarray(keptMin - this.offset, keptMax - this.offset + 1),
            keptMin - newOffset,
          );
        }
      } else if (target === this.bins) {
        this.bins.fill(0);
      }
      this.bins = target;
      this.offset = newOffset;
    }
    this.minKey = newMin;
    this.maxKey = newMax;
    if (collapsed !== 0) this.bins[newMin - this.offset]! += collapsed;
  }
}
