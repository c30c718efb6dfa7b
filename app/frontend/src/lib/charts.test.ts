import { describe, expect, it } from 'vitest';
import type { MetricStat } from '../api/types';
import {
  bandLayout,
  bandPath,
  barGeometry,
  bestAndWorst,
  depthPoints,
  headGrid,
  heatColour,
  linearScale,
  linePath,
  metricAxis,
  MODEL_COLORS,
  modelColor,
  niceStep,
  niceTicks,
  relativeLuminance,
} from './charts';
import { colorAt, rgbHex } from './colormaps';

function stat(overrides: Partial<MetricStat>): MetricStat {
  return { model: 'm', method: 'cls', layer: 0, head: null, mean: 0.5, std: 0.1, ci_low: 0.4, ci_high: 0.6, count: 10, ...overrides };
}

describe('linearScale', () => {
  it('maps the domain onto the range, inverted for screen y', () => {
    const y = linearScale([0, 1], [300, 20]);
    expect(y(0)).toBe(300);
    expect(y(1)).toBe(20);
    expect(y(0.5)).toBe(160);
    expect(y(2)).toBe(-260); // no clipping
  });

  it('maps a zero-width domain to the start of the range', () => {
    expect(linearScale([0.3, 0.3], [10, 90])(5)).toBe(10);
  });
});

describe('niceStep and niceTicks', () => {
  it('picks the nearest step of 1, 2 or 5 × 10^k', () => {
    expect([0.013, 0.02, 0.021, 0.04, 0.07, 0.08, 0.3, 3, 12].map(niceStep)).toEqual([0.01, 0.02, 0.02, 0.05, 0.05, 0.1, 0.2, 2, 10]);
    expect(niceStep(0)).toBe(1);
  });

  it('covers the span with round ticks and no floating-point noise', () => {
    expect(niceTicks(0, 0.63)).toEqual({ lo: 0, hi: 0.7, step: 0.1, ticks: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] });
    expect(niceTicks(0, 1).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.12, 0.31, 4)).toMatchObject({ lo: 0.1, hi: 0.35, step: 0.05 });
  });

  it('widens an empty span and accepts reversed bounds', () => {
    expect(niceTicks(0, 0)).toMatchObject({ lo: 0, hi: 1 });
    const single = niceTicks(0.4, 0.4);
    expect(single.lo).toBeLessThan(0.4);
    expect(single.hi).toBeGreaterThan(0.4);
    expect(niceTicks(1, 0)).toMatchObject({ lo: 0, hi: 1 });
    expect(niceTicks(Number.NaN, 1)).toMatchObject({ lo: 0, hi: 1 });
  });
});

describe('metricAxis', () => {
  it('starts at 0 and reaches the highest CI end or baseline', () => {
    const axis = metricAxis([stat({ mean: 0.3, ci_low: 0.2, ci_high: 0.47 }), stat({ mean: 0.1, ci_low: 0.05, ci_high: 0.2 })]);
    expect(axis.lo).toBe(0);
    expect(axis.hi).toBe(0.5);
  });

  it('is 0…1 when there is nothing to show', () => {
    expect(metricAxis([])).toMatchObject({ lo: 0, hi: 1 });
  });
});

describe('bandLayout', () => {
  it('splits the width into equal slots with centred bars', () => {
    const bands = bandLayout(4, 400, 0.5, 50);
    expect(bands.step).toBe(100);
    expect(bands.band).toBe(50);
    expect(bands.x(0)).toBe(75);
    expect(bands.centre(0)).toBe(100);
    expect(bands.centre(3)).toBe(400);
  });

  it('caps the bar width, keeping bars centred in their slots', () => {
    const bands = bandLayout(2, 400, 0.2, 0, 60);
    expect(bands.band).toBe(60);
    expect(bands.x(0)).toBe(70);
    expect(bands.centre(1)).toBe(300);
  });
});

describe('barGeometry', () => {
  it('draws the bar from zero to the mean and the whisker over the CI', () => {
    const y = linearScale([0, 1], [200, 0]);
    const g = barGeometry(stat({ mean: 0.5, ci_low: 0.25, ci_high: 0.75 }), y);
    expect(g).toEqual({ y: 100, height: 100, mean: 100, ciTop: 50, ciBottom: 150 });
  });

  it('keeps the whisker ordered and a zero mean flat', () => {
    const y = linearScale([0, 1], [200, 0]);
    const g = barGeometry(stat({ mean: 0, ci_low: 0.1, ci_high: 0 }), y);
    expect(g.height).toBe(0);
    expect(g.ciTop).toBeLessThanOrEqual(g.ciBottom);
  });
});

describe('paths', () => {
  it('joins points into a line, and two lines into a closed band', () => {
    expect(linePath([])).toBe('');
    expect(linePath([{ x: 0, y: 10 }, { x: 5.25, y: 2 }])).toBe('M0,10L5.3,2');
    expect(bandPath([{ x: 0, y: 1 }, { x: 10, y: 2 }], [{ x: 0, y: 5 }, { x: 10, y: 6 }])).toBe('M0,1L10,2L10,6L0,5Z');
    expect(bandPath([], [])).toBe('');
  });
});

describe('depthPoints', () => {
  it('places layers at their fraction of the depth, in order', () => {
    const points = depthPoints([stat({ layer: 11 }), stat({ layer: 0 }), stat({ layer: 5 })], 12);
    expect(points.map((p) => p.stat.layer)).toEqual([0, 5, 11]);
    expect(points.map((p) => p.fraction)).toEqual([0, 5 / 11, 1]);
    expect(depthPoints([stat({ layer: 0 })], 1)[0]!.fraction).toBe(1); // a one-layer method (pool)
  });
});

describe('colours', () => {
  it('gives models distinct colours, cycling', () => {
    expect(new Set(MODEL_COLORS).size).toBe(MODEL_COLORS.length);
    expect(modelColor(0)).toBe(MODEL_COLORS[0]);
    expect(modelColor(MODEL_COLORS.length + 1)).toBe(MODEL_COLORS[1]);
  });

  it('computes the WCAG luminance', () => {
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1);
  });

  it('colours heat cells through the colormap over the range, with readable text', () => {
    const range = { lo: 0.2, hi: 0.6 };
    expect(heatColour(0.2, range, 'viridis')).toEqual({ background: rgbHex(colorAt('viridis', 0)), text: '#ffffff' });
    expect(heatColour(0.6, range, 'viridis')).toEqual({ background: rgbHex(colorAt('viridis', 1)), text: '#0f1115' });
    expect(heatColour(0.4, range, 'gray').background).toBe(rgbHex(colorAt('gray', 0.5)));
    expect(heatColour(9, range, 'magma').background).toBe(rgbHex(colorAt('magma', 1))); // clipped
  });
});

describe('headGrid', () => {
  it('arranges per-head results by layer and head, ignoring fused and out-of-range rows', () => {
    const rows = headGrid(
      [stat({ layer: 1, head: 0, mean: 0.1 }), stat({ layer: 0, head: 1, mean: 0.2 }), stat({ layer: 0, head: null }), stat({ layer: 5, head: 0 })],
      2,
      2,
    );
    expect(rows.map((r) => r.map((s) => s?.mean ?? null))).toEqual([
      [null, 0.2],
      [0.1, null],
    ]);
  });
});

describe('bestAndWorst', () => {
  it('takes n from each end, worst first, never the same item twice', () => {
    const ranked = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(bestAndWorst(ranked, 3)).toEqual({ best: [1, 2, 3], worst: [10, 9, 8] });
    expect(bestAndWorst([1, 2, 3], 6)).toEqual({ best: [1, 2], worst: [3] });
    expect(bestAndWorst([1], 6)).toEqual({ best: [1], worst: [] });
    expect(bestAndWorst([], 6)).toEqual({ best: [], worst: [] });
  });
});
