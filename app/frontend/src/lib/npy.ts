/**
 * NumPy `.npy` files (format version 1.0) from raw little-endian bytes: the exported slice is the
 * API's float16 bytes unchanged, so `np.load` gives exactly the stored values.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export type NpyDtype = '<f2' | '<f4';

/** The header dictionary text, e.g. `{'descr': '<f2', 'fortran_order': False, 'shape': (16, 16), }`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
}

/** A complete .npy file: magic, version 1.0, header padded so the data starts at a multiple of 64. */
export function encodeNpy(data: Uint8Array, shape: readonly number[], dtype: NpyDtype = '<f2'): Uint8Array {
  const itemSize = dtype === '<f2' ? 2 : 4;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count * itemSize !== data.length) {
    throw new RangeError(`shape (${shape.join(', ')}) of ${dtype} needs ${count * itemSize} bytes, got ${data.length}`);
  }
  let header = npyHeader(dtype, shape);
  const preamble = MAGIC.length + 2 + 2;
  const total = preamble + header.length + 1; // + the final newline
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new RangeError('npy header too long');
  const out = new Uint8Array(preamble + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(data, preamble + header.length);
  return out;
}
