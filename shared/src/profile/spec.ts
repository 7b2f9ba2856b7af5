import type { Result } from '../result';
import { MAX_STORE_BINS } from '../sketches/bin-store';
import { MAX_CATEGORIES } from '../sketches/category-counts';
import { isValidEdges } from '../sketches/histogram';
import { isValidRelativeAccuracy } from '../sketches/log-mapping';
import { parseWire } from '../sketches/wire';
import { z } from '../zod';

/** Most bins a baseline may ask for (edges ≤ MAX_BASELINE_BINS + 1). */
export const MAX_BASELINE_BINS = 20;
/** Most input features a spec may name. */
export const MAX_INPUT_FEATURES = 512;
/** Most output features a spec may name. */
export const MAX_OUTPUT_FEATURES = 64;
/** Most known class labels. */
export const MAX_CLASSES = 1024;
/** Most distinct error kinds a profile keeps; more are counted under `other`. */
export const MAX_ERROR_KINDS = 32;

/** Bound on distinct top-1 labels a profile of `spec` keeps (≥ 64, ≥ its known classes). */
export function maxClassCategories(spec: ProfileSpec): number {
  return Math.min(MAX_CATEGORIES, Math.max(64, spec.classes?.length ?? 0));
}

/** One profiled feature: its name and the baseline's bin edges (2 … 21, strictly increasing). */
export interface FeatureSpec {
  name: string;
  edges: number[];
}

/** What a profile measures: feature edges, known classes and latency sketch parameters. */
export interface ProfileSpec {
  v: 1;
  inputs: FeatureSpec[];
  outputs: FeatureSpec[];
  classes?: string[];
  latency: { relativeAccuracy: number; maxBins: number };
}

/** Whether `name` can key a plain record safely (not `__proto__`, `constructor`, `toString`, …). */
export function isUsableFeatureName(name: string): boolean {
  return name.length >= 1 && name.length <= 128 && !(name in Object.prototype);
}

const featureSpecSchema = z.object({
  name: z
    .string()
    .check(
      z.refine(isUsableFeatureName, { message: 'expected 1–128 characters, not an Object.prototype key' }),
    ),
  edges: z
    .array(z.number())
    .check(
      z.minLength(2),
      z.maxLength(MAX_BASELINE_BINS + 1),
      z.refine(isValidEdges, { message: 'expected strictly increasing finite edges' }),
    ),
});

const uniqueNames = (fs: { name: string }[]) => new Set(fs.map((f) => f.name)).size === fs.length;

/** Zod schema of a {@link ProfileSpec} (bounded sizes, unique names and classes). */
export const profileSpecSchema = z.object({
  v: z.literal(1),
  inputs: z
    .array(featureSpecSchema)
    .check(z.maxLength(MAX_INPUT_FEATURES), z.refine(uniqueNames, { message: 'duplicate feature name' })),
  outputs: z
    .array(featureSpecSchema)
    .check(z.maxLength(MAX_OUTPUT_FEATURES), z.refine(uniqueNames, { message: 'duplicate feature name' })),
  classes: z.optional(
    z.array(z.string().check(z.maxLength(128))).check(
      z.maxLength(MAX_CLASSES),
      z.refine((cs) => new Set(cs).size === cs.length, { message: 'duplicate class' }),
    ),
  ),
  latency: z.object({
    relativeAccuracy: z
      .number()
      .check(z.refine(isValidRelativeAccuracy, { message: 'expected 1e-4 ≤ relativeAccuracy ≤ 0.5' })),
    maxBins: z.int().check(z.gte(16), z.lte(MAX_STORE_BINS)),
  }),
});

/** Validates an untrusted spec; never throws. */
export function parseProfileSpec(json: unknown): Result<ProfileSpec> {
  return parseWire(profileSpecSchema, json, 'ProfileSpec');
}

/** JSON with object keys sorted at every level and `undefined` members dropped. */
export function canonicalSpecJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalSpecJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalSpecJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const hashCache = new WeakMap<object, string>();

/**
 * Stable 64-bit non-cryptographic hash (two independent 32-bit FNV-1a/murmur-finalised lanes)
 * of the spec's canonical JSON, as 16 hex digits. Reports carry it; merges refuse a different one.
 * Only the fields of {@link ProfileSpec} count. Cached per spec object: treat a spec as immutable once hashed.
 */
export function specHash(spec: ProfileSpec): string {
  const cached = hashCache.get(spec);
  if (cached) return cached;
  // Only the fields defined here are hashed, so extra fields a store adds never change the hash.
  const known = {
    v: spec.v,
    inputs: spec.inputs.map((f) => ({ name: f.name, edges: f.edges })),
    outputs: spec.outputs.map((f) => ({ name: f.name, edges: f.edges })),
    classes: spec.classes,
    latency: { relativeAccuracy: spec.latency.relativeAccuracy, maxBins: spec.latency.maxBins },
  };
  const bytes = new TextEncoder().encode(canonicalSpecJson(known));
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = fmix32(h1 ^ Math.imul(h2, 0x85ebca6b));
  h2 = fmix32(h2 ^ h1);
  const hex = (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
  hashCache.set(spec, hex);
  return hex;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
