import { describe, expect, it } from 'vitest';
import { colorAt, colormapLut, lutIndex } from './colormaps';
import { DIVERGING, formatDistance, symmetricRange, symmetricTicks, ZERO_EXTENT } from './diverging';
import { toUnit } from './normalise';
import { colorizeMap } from './render';

describe('symmetricRange', () => {
  it('spans ±max|d| whichever sign is larger', () => {
    expect(symmetricRange([0.1, -0.4, 0.2])).toEqual({ lo: -0.4, hi: 0.4, extent: 0.4 });
    expect(symmetricRange([0.3, -0.05])).toEqual({ lo: -0.3, hi: 0.3, extent: 0.3 });
  });

  it('puts 0 exactly at the centre and ±max at the ends', () => {
    const range = symmetricRange([-0.02, 0.005, 0.013]);
    expect(toUnit(0, range)).toBe(0.5);
    expect(toUnit(-0.02, range)).toBe(0);
    expect(toUnit(0.02, range)).toBe(1);
    // equal magnitudes of either sign are equally far from the centre
    expect(toUnit(0.01, range) - 0.5).toBeCloseTo(0.5 - toUnit(-0.01, range), 12);
  });

  it('ignores NaN and infinities; an all-zero map still centres 0', () => {
    expect(symmetricRange([Number.NaN, 0.2, Number.POSITIVE_INFINITY, -0.1]).extent).toBe(0.2);
    const zero = symmetricRange([0, 0, 0]);
    expect(zero).toEqual({ lo: -ZERO_EXTENT, hi: ZERO_EXTENT, extent: 0 });
    expect(toUnit(0, zero)).toBe(0.5);
    expect(symmetricTicks(zero)).toEqual(['0', '0', '0']);
  });

  it('labels the scale −max, 0, +max', () => {
    expect(symmetricTicks(symmetricRange([0.25, -0.1]))).toEqual(['-0.25', '0', '+0.25']);
  });
});

describe('the diverging colormap', () => {
  const lut = colormapLut(DIVERGING);

  it('is matplotlib RdBu_r: blue at the low end, near-white centre, red at the high end', () => {
    const [r0, , b0] = colorAt(DIVERGING, 0);
    const [r1, , b1] = colorAt(DIVERGING, 1);
    expect(b0).toBeGreaterThan(r0 + 50);
    expect(r1).toBeGreaterThan(b1 + 50);
    for (const t of [0.5, 127 / 255]) {
      const [r, g, b] = colorAt(DIVERGING, t);
      expect(Math.min(r, g, b)).toBeGreaterThan(235);
    }
    // the table's lightness peaks at the centre and falls towards both ends
    const light = (i: number) => lut[3 * i]! + lut[3 * i + 1]! + lut[3 * i + 2]!;
    const peak = Array.from({ length: 256 }, (_, i) => i).reduce((a, b) => (light(b) > light(a) ? b : a));
    expect(Math.abs(peak - 127.5)).toBeLessThanOrEqual(2);
    expect(light(0)).toBeLessThan(light(64));
    expect(light(255)).toBeLessThan(light(192));
  });

  it('colours a signed map: 0 white, equal magnitudes mirrored in strength', () => {
    const values = [-0.5, -0.25, 0, 0.25, 0.5];
    const range = symmetricRange(values);
    const rgba = colorizeMap(values, range, DIVERGING);
    const px = (i: number) => [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    expect(px(2)).toEqual([...colorAt(DIVERGING, 0.5)]);
    expect(px(0)).toEqual([...colorAt(DIVERGING, 0)]);
    expect(px(4)).toEqual([...colorAt(DIVERGING, 1)]);
    // ±d land on mirrored entries of the 256-entry table (i and 255 − i)
    expect(lutIndex(toUnit(0.25, range)) + lutIndex(toUnit(-0.25, range))).toBe(255);
    // blue for negative, red for positive
    expect(px(1)[2]!).toBeGreaterThan(px(1)[0]!);
    expect(px(3)[0]!).toBeGreaterThan(px(3)[2]!);
  });
});

describe('formatDistance', () => {
  it('reads a total variation in [0, 1]', () => {
    expect(formatDistance(0)).toBe('0');
    expect(formatDistance(0.12345)).toBe('0.123');
    expect(formatDistance(0.0004)).toBe('4.0e-4');
    expect(formatDistance(Number.NaN)).toBe('—');
    expect(formatDistance(null)).toBe('—');
  });
});
