import { describe, expect, it } from 'vitest';
import { encodeFloat16 } from './float16';
import { encodeNpy, npyHeader } from './npy';

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

describe('encodeNpy', () => {
  it('writes a version 1.0 file numpy reads: magic, header length, dict, 64-byte aligned data', () => {
    const data = encodeFloat16([0, 0.5, 1, 2, 3, 4]);
    const file = encodeNpy(data, [2, 3]);
    expect(Array.from(file.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = file[8]! | (file[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = text(file.subarray(10, 10 + headerLength));
    expect(header.startsWith("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trimEnd()).toBe(header.slice(0, header.length - 1).trimEnd());
    expect(Array.from(file.subarray(10 + headerLength))).toEqual(Array.from(data));
  });

  it('writes 1-D and 3-D shapes the Python way', () => {
    expect(npyHeader('<f2', [5])).toContain("'shape': (5,)");
    expect(npyHeader('<f4', [12, 16, 16])).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (12, 16, 16), }");
  });

  it('refuses data that does not match the shape', () => {
    expect(() => encodeNpy(new Uint8Array(6), [2, 2])).toThrow(RangeError);
  });
});
