import { describe, expect, it } from 'vitest';
import { COLORMAPS, colorAt, colormapLut, cssGradient, isColormap, lutIndex, rgbHex } from './colormaps';

describe('colormaps', () => {
  it('has 256 RGB entries per map', () => {
    for (const name of COLORMAPS) expect(colormapLut(name)).toHaveLength(768);
  });

  it.each([
    ['viridis', '#440154', '#21918c', '#fde725'],
    ['magma', '#000004', '#b73779', '#fcfdbf'],
    ['turbo', '#30123b', '#a4fc3c', '#7a0403'],
    ['gray', '#000000', '#808080', '#ffffff'],
  ] as const)('%s matches matplotlib at 0, 0.5 and 1', (name, low, middle, high) => {
    expect(rgbHex(colorAt(name, 0))).toBe(low);
    expect(rgbHex(colorAt(name, 0.5))).toBe(middle);
    expect(rgbHex(colorAt(name, 1))).toBe(high);
  });

  it('maps unit values to table indices like the API (round(t × 255), clipped)', () => {
    expect(lutIndex(0)).toBe(0);
    expect(lutIndex(1)).toBe(255);
    expect(lutIndex(0.5)).toBe(128);
    expect(lutIndex(1 / 255)).toBe(1);
    expect(lutIndex(-3)).toBe(0);
    expect(lutIndex(7)).toBe(255);
    expect(lutIndex(Number.NaN)).toBe(0);
  });

  it('gray is linear', () => {
    for (let i = 0; i < 256; i += 17) expect(colorAt('gray', i / 255)).toEqual([i, i, i]);
  });

  it('viridis gets lighter monotonically (perceptually uniform maps)', () => {
    const lum = (t: number) => {
      const [r, g, b] = colorAt('viridis', t);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (let i = 1; i < 256; i++) expect(lum(i / 255)).toBeGreaterThanOrEqual(lum((i - 1) / 255) - 0.5);
  });

  it('validates names and builds CSS gradients', () => {
    expect(isColormap('magma')).toBe(true);
    expect(isColormap('jet')).toBe(false);
    const gradient = cssGradient('viridis', 'to right', 3);
    expect(gradient).toBe('linear-gradient(to right, #440154 0.0%, #21918c 50.0%, #fde725 100.0%)');
  });
});
