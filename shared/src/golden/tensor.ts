import { fail, ok, type Result } from '../result';
import { base64Decode } from '../signing/base64url';
import { z } from '../zod';

/** Element types a tensor file may hold (golden pairs, `.json` / `.npy` reference inputs). */
export const TENSOR_FILE_DTYPES = ['float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool'] as const;
export type TensorFileDtype = (typeof TENSOR_FILE_DTYPES)[number];

/** Most elements one tensor may have (16 Mi: a 4×3×1024×1024 float batch). */
export const MAX_TENSOR_ELEMENTS = 16 * 1024 * 1024;
/** Most dims one tensor may have. */
export const MAX_TENSOR_RANK = 8;
/** Longest `base64` field: the raw bytes of {@link MAX_TENSOR_ELEMENTS} 8-byte elements, with slack for line breaks. */
const MAX_BASE64_CHARS = 2 * Math.ceil((MAX_TENSOR_ELEMENTS * 8) / 3) * 4;

/**
 * A tensor in host memory: dtype, dims and typed data (int64 as BigInt64Array, bool as Uint8Array,
 * float16 — preprocessed model inputs and model outputs only, never in files — as IEEE half bit patterns
 * in a Uint16Array).
 */
export interface HostTensor {
  dtype: TensorFileDtype | 'float16';
  dims: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;
}

/**
 * A tensor in JSON: `{ dtype, dims, data: [numbers…] }` or `{ dtype, dims, base64 }` where base64 holds the
 * raw little-endian bytes (4 bytes per float32). `data` is convenient for small tensors, `base64` is
 * ~3× smaller for images. `null` in `data` stands for NaN, `true`/`false` for 1/0.
 * @example { "dtype": "float32", "dims": [1, 2], "data": [0.98, 0.02] }
 */
export const tensorJsonSchema = z
  .strictObject({
    dtype: z.enum(TENSOR_FILE_DTYPES),
    dims: z.array(z.int().check(z.gte(0), z.lte(MAX_TENSOR_ELEMENTS))).check(z.maxLength(MAX_TENSOR_RANK)),
    data: z.optional(
      z.array(z.union([z.number(), z.boolean(), z.null()])).check(z.maxLength(MAX_TENSOR_ELEMENTS)),
    ),
    base64: z.optional(z.string().check(z.maxLength(MAX_BASE64_CHARS))),
  })
  .check(
    z.refine((t) => (t.data === undefined) !== (t.base64 === undefined), {
      message: 'expected exactly one of data or base64',
      path: ['data'],
    }),
  );
export type TensorJson = z.infer<typeof tensorJsonSchema>;

const BYTES_PER_ELEMENT: Record<TensorFileDtype, number> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  uint8: 1,
  int8: 1,
  bool: 1,
};

const invalid = (message: string, path: string): Result<never> => fail({ kind: 'invalid', message, path });

/** Elements `dims` describe, or an error past {@link MAX_TENSOR_ELEMENTS} or for a dim that is no count. */
function elementCount(dims: readonly number[], path: string): Result<number> {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return invalid(`${path}: dims [${dims}] are not counts`, path);
    n *= d;
  }
  if (dims.length > MAX_TENSOR_RANK || n > MAX_TENSOR_ELEMENTS) {
    return invalid(`${path}: dims [${dims}] hold ${n} elements, at most ${MAX_TENSOR_ELEMENTS}`, path);
  }
  return ok(n);
}

function allocate(dtype: TensorFileDtype, n: number): HostTensor['data'] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int8':
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

/**
 * A tensor from raw little-endian bytes (copied, so alignment never matters); an error naming `path` when
 * the byte count does not fit `dims`.
 */
export function tensorFromBytes(
  dtype: TensorFileDtype,
  dims: readonly number[],
  bytes: Uint8Array,
  path = 'tensor',
): Result<HostTensor> {
  const n = elementCount(dims, path);
  if (!n.ok) return n;
  const need = n.value * BYTES_PER_ELEMENT[dtype];
  if (bytes.byteLength !== need) {
    return invalid(`${path}: dims [${dims}] of ${dtype} need ${need} bytes, got ${bytes.byteLength}`, path);
  }
  const data = allocate(dtype, n.value);
  new Uint8Array(data.buffer).set(bytes);
  return ok({ dtype, dims: [...dims], data });
}

const INT64_LIMIT = 2 ** 63;

/**
 * Decodes one JSON tensor already shape-checked by {@link tensorJsonSchema}: base64 to raw bytes, or
 * `data` values; an error naming `path` when the values do not fill `dims` or cannot be stored.
 */
export function tensorFromJson(json: TensorJson, path = 'tensor'): Result<HostTensor> {
  if (json.base64 !== undefined) {
    const bytes = base64Decode(json.base64);
    if (bytes === undefined) return invalid(`${path}.base64: not standard base64`, `${path}.base64`);
    return tensorFromBytes(json.dtype, json.dims, bytes, path);
  }
  const values = json.data ?? [];
  const n = elementCount(json.dims, path);
  if (!n.ok) return n;
  if (values.length !== n.value) {
    return invalid(`${path}: dims [${json.dims}] need ${n.value} values, got ${values.length}`, path);
  }
  const data = allocate(json.dtype, n.value);
  for (let i = 0; i < n.value; i++) {
    const v = values[i];
    const x = v === null ? Number.NaN : Number(v);
    if (data instanceof BigInt64Array) {
      // BigInt() throws on NaN and ±Infinity, and the array would wrap values past ±2^63 silently.
      if (!(Math.abs(x) < INT64_LIMIT)) {
        return invalid(`${path}.data.${i}: expected an int64, got ${v}`, `${path}.data.${i}`);
      }
      data[i] = BigInt(Math.trunc(x));
    } else data[i] = x;
  }
  return ok({ dtype: json.dtype, dims: [...json.dims], data });
}

/** Decodes IEEE 754 half-precision bits (the inverse of `toFloat16Bits`). */
function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A tensor's values as float64: int64 converted, bool as 0/1, float16 bit patterns (Uint16Array) decoded. */
export function tensorValues(tensor: {
  dtype?: string;
  data: ArrayLike<number> | ArrayLike<bigint>;
}): Float64Array {
  const data = tensor.data as ArrayLike<number | bigint>;
  // A runtime with Float16Array may hand float16 outputs over as values rather than bit patterns.
  if (tensor.dtype === 'float16' && data instanceof Uint16Array)
    return Float64Array.from(data, fromFloat16Bits);
  return Float64Array.from(data, Number);
}
