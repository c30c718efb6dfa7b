import { describe, expect, it } from 'vitest';
import { decodeFloat16, encodeFloat16, floatToHalfBits, halfBitsToFloat } from './float16';

describe('halfBitsToFloat', () => {
  it.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x7bff, 65504], // largest finite
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x2e66, 0.0999755859375], // np.float16(0.1)
    [0x3555, 0.333251953125], // np.float16(1/3)
  ])('0x%s decodes exactly', (bits, value) => {
    expect(halfBitsToFloat(bits)).toBe(value);
  });

  it('handles signed zero, infinities and NaN', () => {
    expect(Object.is(halfBitsToFloat(0x8000), -0)).toBe(true);
    expect(halfBitsToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfBitsToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
    expect(halfBitsToFloat(0x7c01)).toBeNaN();
  });
});

describe('floatToHalfBits', () => {
  it('round-trips every non-NaN float16 bit pattern', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue; // NaN payloads
      expect(floatToHalfBits(halfBitsToFloat(bits))).toBe(bits);
    }
  });

  it('rounds to nearest, ties to even, and overflows to infinity', () => {
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(floatToHalfBits(0.1)).toBe(0x2e66);
    expect(floatToHalfBits(65520)).toBe(0x7c00);
    expect(floatToHalfBits(2 ** -26)).toBe(0x0000);
    expect(floatToHalfBits(Number.NaN)).toBe(0x7e00);
  });
});

describe('decodeFloat16', () => {
  it('decodes little-endian bytes as the API sends them', () => {
    const bytes = new Uint8Array([0x00, 0x3c, 0x66, 0x2e, 0x00, 0xc0, 0x01, 0x00]);
    expect(Array.from(decodeFloat16(bytes))).toEqual([1, 0.0999755859375, -2, 2 ** -24]);
    expect(Array.from(decodeFloat16(bytes.buffer))).toEqual([1, 0.0999755859375, -2, 2 ** -24]);
  });

  it('decodes big-endian, offsets and counts', () => {
    const bytes = new Uint8Array([0xff, 0x3c, 0x00, 0x38, 0x00]);
    expect(Array.from(decodeFloat16(bytes, { littleEndian: false, byteOffset: 1, count: 2 }))).toEqual([1, 0.5]);
  });

  it('refuses data that is too short', () => {
    expect(() => decodeFloat16(new Uint8Array(3), { count: 2 })).toThrow(RangeError);
  });

  it('respects a view into a larger buffer', () => {
    const buffer = new Uint8Array([0x00, 0x3c, 0x00, 0x40, 0x00, 0x42]);
    expect(Array.from(decodeFloat16(buffer.subarray(2)))).toEqual([2, 3]);
  });

  it('inverts encodeFloat16 for values a float16 holds', () => {
    const values = [0, 1, -1, 0.5, 0.25, 1024, 2 ** -20, 65504];
    expect(Array.from(decodeFloat16(encodeFloat16(values)))).toEqual(values);
  });
});
