import { describe, expect, it } from 'vitest';
import { addPngText, crc32, readPngText } from './png';

// The smallest valid PNG: 1×1 RGBA, one transparent pixel.
const TINY_PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('addPngText', () => {
  it('inserts a tEXt chunk after IHDR with a valid CRC, and keeps the rest', () => {
    const out = addPngText(TINY_PNG, 'ssl-attention', '{"model":"dinov2","layer":11}');
    expect(out.length).toBe(TINY_PNG.length + 12 + 'ssl-attention'.length + 1 + 29);
    expect(readPngText(out)).toEqual({ 'ssl-attention': '{"model":"dinov2","layer":11}' });
    // chunk after IHDR (8 signature + 25 IHDR bytes)
    const view = new DataView(out.buffer);
    const length = view.getUint32(33);
    expect(String.fromCharCode(...out.subarray(37, 41))).toBe('tEXt');
    expect(view.getUint32(41 + length)).toBe(crc32(out.subarray(37, 41 + length)));
    expect(Array.from(out.subarray(33 + 12 + length))).toEqual(Array.from(TINY_PNG.subarray(33)));
  });

  it('refuses what is not a PNG and bad keywords', () => {
    expect(() => addPngText(new Uint8Array(40), 'k', 'v')).toThrow('not a PNG');
    expect(() => addPngText(TINY_PNG, '', 'v')).toThrow();
  });
});
