/**
 * IEEE 754 half precision (float16) decoding: the API sends maps as little-endian float16 bytes
 * (`format=f16`). Node 20 and most browsers have no Float16Array, so this decodes through a
 * 65,536-entry table built once (256 KiB): one lookup per value.
 */

/** The float value of one float16 bit pattern (0..0xffff). */
export function halfBitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

let table: Float32Array | null = null;

function halfTable(): Float32Array {
  if (table === null) {
    table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) table[bits] = halfBitsToFloat(bits);
  }
  return table;
}

/** Decode `count` float16 values (default: all of the bytes) starting at `byteOffset`. */
export function decodeFloat16(
  source: ArrayBuffer | ArrayBufferView,
  { littleEndian = true, byteOffset = 0, count }: { littleEndian?: boolean; byteOffset?: number; count?: number } = {},
): Float32Array {
  const bytes =
    source instanceof ArrayBuffer
      ? new Uint8Array(source)
      : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const n = count ?? Math.floor((bytes.length - byteOffset) / 2);
  if (n < 0 || byteOffset + 2 * n > bytes.length) {
    throw new RangeError(`float16 data too short: need ${2 * n} bytes from offset ${byteOffset}, have ${bytes.length}`);
  }
  const lookup = halfTable();
  const out = new Float32Array(n);
  const lo = littleEndian ? 0 : 1;
  const hi = littleEndian ? 1 : 0;
  for (let i = 0, at = byteOffset; i < n; i++, at += 2) {
    out[i] = lookup[bytes[at + lo]! | (bytes[at + hi]! << 8)]!;
  }
  return out;
}

/** The float16 bit pattern nearest to `value` (round half to even), for tests and encoders. */
export function floatToHalfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign | 0x7c00; // rounds to infinity
  if (magnitude < 2 ** -24 * 0.5) return sign; // rounds to zero
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1; // guard log2 rounding
  if (exponent < -14) {
    // subnormal: units of 2^-24
    const units = roundHalfEven(magnitude / 2 ** -24);
    return sign | units; // units === 1024 carries into the smallest normal, which is the right pattern
  }
  let mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent += 1;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Little-endian float16 bytes of `values` (used by tests to build API-like payloads). */
export function encodeFloat16(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const bits = floatToHalfBits(values[i]!);
    out[2 * i] = bits & 0xff;
    out[2 * i + 1] = bits >> 8;
  }
  return out;
}
