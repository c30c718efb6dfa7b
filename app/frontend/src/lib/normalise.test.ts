import { describe, expect, it } from 'vitest';
import { formatValue, isNormMode, rangeOf, resolveRange, toUnit } from './normalise';

describe('rangeOf', () => {
  it('finds min and max', () => {
    expect(rangeOf(new Float32Array([0.25, 0.5, 0.125]))).toEqual({ lo: 0.125, hi: 0.5 });
  });
  it('ignores NaN and gives 0..0 for nothing', () => {
    expect(rangeOf([Number.NaN, 2, 1])).toEqual({ lo: 1, hi: 2 });
    expect(rangeOf([])).toEqual({ lo: 0, hi: 0 });
    expect(rangeOf([Number.NaN])).toEqual({ lo: 0, hi: 0 });
  });
});

describe('resolveRange', () => {
  const map = { lo: 0.01, hi: 0.05 };
  const layer = { lo: 0.001, hi: 0.2 };

  it('per map: the map’s own min..max', () => {
    expect(resolveRange('map', map, layer)).toEqual({ lo: 0.01, hi: 0.05, mode: 'map' });
  });
  it('per layer: the range over every head of the layer', () => {
    expect(resolveRange('layer', map, layer)).toEqual({ lo: 0.001, hi: 0.2, mode: 'layer' });
  });
  it('per layer always contains the map (e.g. a fused map at the edge)', () => {
    expect(resolveRange('layer', { lo: 0.0005, hi: 0.3 }, layer)).toEqual({ lo: 0.0005, hi: 0.3, mode: 'layer' });
  });
  it('per layer without per-head data falls back to per map', () => {
    expect(resolveRange('layer', map, null)).toEqual({ lo: 0.01, hi: 0.05, mode: 'map' });
  });
  it('absolute: the probability range 0..1 whatever the data', () => {
    expect(resolveRange('abs', map, layer)).toEqual({ lo: 0, hi: 1, mode: 'abs' });
    expect(resolveRange('abs', map, null)).toEqual({ lo: 0, hi: 1, mode: 'abs' });
  });
});

describe('toUnit', () => {
  it('maps the range onto 0..1 and clips', () => {
    const r = { lo: 0.1, hi: 0.3 };
    expect(toUnit(0.1, r)).toBe(0);
    expect(toUnit(0.3, r)).toBe(1);
    expect(toUnit(0.2, r)).toBeCloseTo(0.5, 12);
    expect(toUnit(0, r)).toBe(0);
    expect(toUnit(1, r)).toBe(1);
  });
  it('a constant map (zero-width range) is all low end, NaN too', () => {
    expect(toUnit(0.2, { lo: 0.2, hi: 0.2 })).toBe(0);
    expect(toUnit(Number.NaN, { lo: 0, hi: 1 })).toBe(0);
  });
});

describe('formatValue and isNormMode', () => {
  it('formats short', () => {
    expect(formatValue(0)).toBe('0');
    expect(formatValue(0.018615)).toBe('0.0186');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(1.234e-5)).toBe('1.23e-5');
  });
  it('knows the modes', () => {
    expect(['map', 'layer', 'abs'].every(isNormMode)).toBe(true);
    expect(isNormMode('minmax')).toBe(false);
  });
});
