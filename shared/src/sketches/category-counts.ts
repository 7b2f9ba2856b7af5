import { ok, type Result } from '../result';
import { z } from '../zod';
import { SketchMismatchError } from './errors';
import { countNumber, invalid, parseWire } from './wire';

/** Most distinct categories a sketch may keep. */
export const MAX_CATEGORIES = 1024;
/** Longest category key kept; longer keys are counted in `other`. */
export const MAX_CATEGORY_KEY_LENGTH = 128;

/** Options of {@link CategoryCounts}. */
export interface CategoryCountsOptions {
  maxCategories?: number;
}

/** Wire form of {@link CategoryCounts}: `[key, count]` pairs sorted by key (never object keys). */
export const categoryCountsJsonSchema = z.object({
  v: z.literal(1),
  max: z.int().check(z.gte(1), z.lte(MAX_CATEGORIES)),
  c: z
    .array(z.tuple([z.string().check(z.maxLength(MAX_CATEGORY_KEY_LENGTH)), countNumber]))
    .check(z.maxLength(MAX_CATEGORIES)),
  other: countNumber,
});

/** Wire form of {@link CategoryCounts}. */
export type CategoryCountsJSON = z.infer<typeof categoryCountsJsonSchema>;

/**
 * Counts per string key, bounded to `maxCategories` distinct keys: once full, new keys (and
 * keys longer than 128 characters) go to `other`. Merge is a bounded top-k: it adds counts,
 * keeps the `maxCategories` largest (ties by key) and folds the rest into `other`. It is
 * commutative, and exact (and associative) while the distinct keys of both fit the bound.
 */
export class CategoryCounts {
  readonly maxCategories: number;
  readonly counts = new Map<string, number>();
  other = 0;

  constructor(options: CategoryCountsOptions = {}) {
    const { maxCategories = 64 } = options;
    if (!Number.isInteger(maxCategories) || maxCategories < 1 || maxCategories > MAX_CATEGORIES) {
      throw new RangeError(`maxCategories must be an integer in [1, ${MAX_CATEGORIES}]`);
    }
    this.maxCategories = maxCategories;
  }

  /** Counts one occurrence of `key` (allocation-free once the key is known). */
  add(key: string, n = 1): void {
    const c = this.counts.get(key);
    if (c !== undefined) this.counts.set(key, c + n);
    else if (this.counts.size < this.maxCategories && key.length <= MAX_CATEGORY_KEY_LENGTH)
      this.counts.set(key, n);
    else this.other += n;
  }

  /** Counts `n` occurrences straight into `other` (e.g. a label outside the known classes). */
  addOther(n = 1): void {
    this.other += n;
  }

  /** Count of `key` (0 if unseen or folded into `other`). */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Every occurrence counted, `other` included. */
  get total(): number {
    let t = this.other;
    for (const c of this.counts.values()) t += c;
    return t;
  }

  /** Entries sorted by count descending, then key ascending. */
  top(): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Adds `other`'s counts, then keeps the top `maxCategories` (see class doc); throws on a different bound. */
  merge(other: CategoryCounts): this {
    if (other.maxCategories !== this.maxCategories) {
      throw new SketchMismatchError(
        'maxCategories',
        `cannot merge max=${other.maxCategories} into max=${this.maxCategories}`,
      );
    }
    for (const [k, c] of other.counts) this.counts.set(k, (this.counts.get(k) ?? 0) + c);
    this.other += other.other;
    this.keepTop();
    return this;
  }

  /**
   * Merges entries given as parallel arrays (e.g. a checked wire form, keys distinct), as `merge` of a
   * sketch with this bound holding them would; entries whose count is not positive are skipped.
   */
  mergeEntries(keys: readonly string[], counts: readonly number[], other: number): this {
    for (let i = 0; i < keys.length; i++) {
      const c = counts[i]!;
      if (c > 0) this.counts.set(keys[i]!, (this.counts.get(keys[i]!) ?? 0) + c);
    }
    this.other += other;
    this.keepTop();
    return this;
  }

  /** Folds all but the `maxCategories` largest entries into `other`. */
  private keepTop(): void {
    if (this.counts.size > this.maxCategories) {
      const sorted = this.top();
      for (let i = this.maxCategories; i < sorted.length; i++) {
        const [k, c] = sorted[i]!;
        this.other += c;
        this.counts.delete(k);
      }
    }
  }

  /** An independent copy. */
  clone(): CategoryCounts {
    const c = new CategoryCounts({ maxCategories: this.maxCategories });
    for (const [k, n] of this.counts) c.counts.set(k, n);
    c.other = this.other;
    return c;
  }

  /** Compact JSON: pairs sorted by key, so equal content gives equal JSON. */
  toJSON(): CategoryCountsJSON {
    const c = [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { v: 1, max: this.maxCategories, c, other: this.other };
  }

  /** Parses and checks a {@link CategoryCountsJSON} (no duplicate keys, ≤ max entries); never throws. */
  static fromJSON(json: unknown): Result<CategoryCounts> {
    const parsed = parseWire(categoryCountsJsonSchema, json, 'CategoryCounts');
    if (!parsed.ok) return parsed;
    const j = parsed.value;
    if (j.c.length > j.max)
      return invalid('CategoryCounts', 'c', `${j.c.length} categories exceed max ${j.max}`);
    const cc = new CategoryCounts({ maxCategories: j.max });
    for (let i = 0; i < j.c.length; i++) {
      const [k, n] = j.c[i]!;
      if (cc.counts.has(k))
        return invalid('CategoryCounts', `c.${i}.0`, `duplicate key ${JSON.stringify(k)}`);
      if (n > 0) cc.counts.set(k, n);
    }
    cc.other = j.other;
    return ok(cc);
  }
}
