import { ok, type Result } from '../result';
import { z } from '../zod';
import { countNumber, finiteNumber, invalid, jsonSafe, parseWire } from './wire';

/** Wire form of {@link Moments}; the non-finite counters are omitted when zero. */
export const momentsJsonSchema = z.object({
  v: z.literal(1),
  n: countNumber,
  mean: finiteNumber,
  m2: z.number().check(z.nonnegative()),
  min: finiteNumber,
  max: finiteNumber,
  nan: z.optional(countNumber),
  pinf: z.optional(countNumber),
  ninf: z.optional(countNumber),
});

/** Wire form of {@link Moments}. */
export type MomentsJSON = z.infer<typeof momentsJsonSchema>;

/** Field order of the compact tuple form used inside profiles. */
const TUPLE_FIELDS = ['n', 'mean', 'm2', 'min', 'max', 'nan', 'pinf', 'ninf'] as const;

/** Compact form `[n, mean, m2, min, max, nan?, pinf?, ninf?]` (trailing zero counters dropped), used in profiles. */
export type MomentsTuple = number[];

/**
 * Zod schema of a {@link MomentsTuple}: its values are checked by {@link Moments.fromTuple} (one check, whose error
 * names the field, e.g. `m.mean`); the metadata documents them as numbers.
 */
export const momentsTupleSchema = z
  .array(z.unknown().check(z.meta({ type: 'number', description: 'checked by Moments.fromTuple' })))
  .check(z.minLength(5), z.maxLength(TUPLE_FIELDS.length));

/**
 * Count, mean, variance (Welford; Chan et al. to merge), min and max of the finite values;
 * NaN, +Infinity and -Infinity are counted apart and never folded into the mean.
 * Values beyond ~1e154 overflow the variance; the JSON saturates it at Number.MAX_VALUE.
 */
export class Moments {
  /** Finite values added. */
  count = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  nanCount = 0;
  posInfCount = 0;
  negInfCount = 0;

  /** Adds one value (allocation-free). */
  add(x: number): void {
    if (x - x === 0) {
      const n = ++this.count;
      const d = x - this.mean;
      this.mean += d / n;
      this.m2 += d * (x - this.mean);
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    } else if (Number.isNaN(x)) {
      this.nanCount++;
    } else if (x > 0) {
      this.posInfCount++;
    } else {
      this.negInfCount++;
    }
  }

  /** Adds every value of `xs`. */
  addMany(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]!);
  }

  /** Population variance of the finite values (NaN if none). */
  get variance(): number {
    return this.count === 0 ? Number.NaN : this.m2 / this.count;
  }

  /** Population standard deviation (NaN if none). */
  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** Sum of the finite values. */
  get sum(): number {
    return this.mean * this.count;
  }

  /** Every value added, finite or not. */
  get total(): number {
    return this.count + this.nanCount + this.posInfCount + this.negInfCount;
  }

  /** Adds `other` into this (Chan et al. parallel update); never mismatches. */
  merge(other: Moments): this {
    if (other.count > 0) {
      if (this.count === 0) {
        this.mean = other.mean;
        this.m2 = other.m2;
      } else {
        const n = this.count + other.count;
        const d = other.mean - this.mean;
        this.mean += (d * other.count) / n;
        this.m2 += other.m2 + ((d * d * this.count) / n) * other.count;
      }
      this.count += other.count;
      if (other.min < this.min) this.min = other.min;
      if (other.max > this.max) this.max = other.max;
    }
    this.nanCount += other.nanCount;
    this.posInfCount += other.posInfCount;
    this.negInfCount += other.negInfCount;
    return this;
  }

  /** An independent copy. */
  clone(): Moments {
    return Object.assign(new Moments(), this);
  }

  /** Compact JSON; `min`/`max` are 0 when there is no finite value. */
  toJSON(): MomentsJSON {
    const empty = this.count === 0;
    const json: MomentsJSON = {
      v: 1,
      n: this.count,
      mean: jsonSafe(this.mean),
      m2: jsonSafe(this.m2),
      min: empty ? 0 : this.min + 0, // + 0 turns -0 into 0
      max: empty ? 0 : this.max + 0,
    };
    if (this.nanCount) json.nan = this.nanCount;
    if (this.posInfCount) json.pinf = this.posInfCount;
    if (this.negInfCount) json.ninf = this.negInfCount;
    return json;
  }

  /** The compact tuple form (see {@link MomentsTuple}); same content as {@link toJSON}. */
  toTuple(): MomentsTuple {
    const j = this.toJSON();
    const t = [j.n, j.mean, j.m2, j.min, j.max, j.nan ?? 0, j.pinf ?? 0, j.ninf ?? 0];
    while (t.length > 5 && t[t.length - 1] === 0) t.pop();
    return t;
  }

  /** Parses a {@link MomentsTuple}; errors name the field (e.g. `mean`). Never throws. */
  static fromTuple(tuple: unknown): Result<Moments> {
    const parsed = parseWire(momentsTupleSchema, tuple, 'Moments');
    if (!parsed.ok) return parsed;
    const json: Record<string, unknown> = { v: 1 };
    parsed.value.forEach((x, i) => {
      json[TUPLE_FIELDS[i]!] = x;
    });
    return Moments.fromJSON(json);
  }

  /** Parses and checks a {@link MomentsJSON} (m2 ≥ 0, min ≤ mean ≤ max); never throws. */
  static fromJSON(json: unknown): Result<Moments> {
    const parsed = parseWire(momentsJsonSchema, json, 'Moments');
    if (!parsed.ok) return parsed;
    const j = parsed.value;
    const m = new Moments();
    if (j.n > 0) {
      if (!(j.min <= j.max)) return invalid('Moments', 'min', 'expected min ≤ max');
      const slack = 1e-9 * Math.max(Math.abs(j.min), Math.abs(j.max));
      if (j.mean < j.min - slack || j.mean > j.max + slack)
        return invalid('Moments', 'mean', 'expected min ≤ mean ≤ max');
      m.count = j.n;
      m.mean = j.mean;
      m.m2 = j.m2;
      m.min = j.min;
      m.max = j.max;
    } else if (j.mean !== 0 || j.m2 !== 0) {
      return invalid('Moments', 'mean', 'expected mean = m2 = 0 when n = 0');
    }
    m.nanCount = j.nan ?? 0;
    m.posInfCount = j.pinf ?? 0;
    m.negInfCount = j.ninf ?? 0;
    return ok(m);
  }
}
