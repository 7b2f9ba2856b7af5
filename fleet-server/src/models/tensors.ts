import { type HostTensor, type TensorFileDtype, tensorFromBytes } from '@edgefleet/shared';
import { InvalidInput } from '../errors';

const NPY_DTYPES: Record<string, TensorFileDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i4': 'int32',
  '<i8': 'int64',
  '|u1': 'uint8',
  '|i1': 'int8',
  '|b1': 'bool',
};

/** Parses a NumPy `.npy` file (format 1.0–3.0, C order, little-endian float32/64, int8/32/64, uint8, bool). */
export function parseNpy(bytes: Uint8Array, field: string): HostTensor {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.byteLength < 10 || magic.some((b, i) => bytes[i] !== b)) {
    throw new InvalidInput(`${field}: not a .npy file (no \\x93NUMPY magic)`, { field });
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (major < 1 || major > 3 || headerLength > 64 * 1024 || start + headerLength > bytes.byteLength) {
    throw new InvalidInput(`${field}: unsupported or truncated .npy header`, { field });
  }
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString('latin1');
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  const dtype = descr ? NPY_DTYPES[descr] : undefined;
  if (!dtype || fortran !== 'False' || shape === undefined) {
    throw new InvalidInput(
      `${field}: expected a C-order .npy of ${Object.keys(NPY_DTYPES).join(', ')}; got descr ${descr}, fortran_order ${fortran}`,
      { field },
    );
  }
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0) || dims.length > 8) {
    throw new InvalidInput(`${field}: bad .npy shape (${shape})`, { field });
  }
  const tensor = tensorFromBytes(dtype, dims, bytes.subarray(start + headerLength), field);
  if (!tensor.ok) throw new InvalidInput(tensor.error.message, { field });
  return tensor.value;
}
