/**
 * The dashboard's charts are plain SVG drawn by React; this is their geometry, pure and
 * unit-tested: linear scales, "nice" axis ticks, bar slots, confidence-interval whiskers, line and
 * band paths, the model palette and the heat table's colours.
 */
import type { MetricStat } from '../api/types';
import { colorAt, rgbHex, type ColormapName } from './colormaps';
import { toUnit, type ValueRange } from './normalise';
import { layerFraction } from './render';

export type Scale = (value: number) => number;

/** Maps `domain` linearly onto `range` (no clipping); a zero-width domain maps everything to range[0]. */
export function linearScale([d0, d1]: readonly [number, number], [r0, r1]: readonly [number, number]): Scale {
  const span = d1 - d0;
  if (!(span !== 0) || !Number.isFinite(span)) return () => r0;
  const k = (r1 - r0) / span;
  return (value) => r0 + (value - d0) * k;
}

/** Round away floating-point noise (0.30000000000000004 → 0.3). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/** The step of 1, 2 or 5 × 10^k nearest to `rough` (geometrically, as d3's ticks). */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const error = rough / power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.SQRT2 ? 2 : 1;
  return clean(factor * power);
}

export interface Ticks {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
}

/**
 * About `count` evenly spaced round ticks covering [lo, hi]; the returned lo/hi are the outer ticks.
 * An empty span (lo = hi) is widened to one step around the value (0 … 1 for 0).
 */
export function niceTicks(lo: number, hi: number, count = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return niceTicks(0, 1, count);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    if (lo === 0) return niceTicks(0, 1, count);
    const pad = Math.abs(lo) / 2;
    return niceTicks(lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad, count);
  }
  const step = niceStep((hi - lo) / Math.max(1, count));
  const first = Math.floor(clean(lo / step)) * step;
  const last = Math.ceil(clean(hi / step)) * step;
  const ticks: number[] = [];
  for (let i = 0; first + i * step <= last + step / 2; i++) ticks.push(clean(first + i * step));
  return { lo: clean(first), hi: clean(last), step, ticks };
}

/**
 * The value axis of a metric chart: from 0 (or the lowest value, if negative) to the highest
 * mean, CI end or baseline, in round ticks. Every metric here lies in [0, 1].
 */
export function metricAxis(stats: readonly Pick<MetricStat, 'mean' | 'ci_low' | 'ci_high'>[], count = 5): Ticks {
  let lo = 0;
  let hi = 0;
  for (const s of stats) {
    for (const v of [s.mean, s.ci_low, s.ci_high]) {
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return niceTicks(lo, hi, count);
}

export interface Bands {
  /** distance between the starts of neighbouring slots */
  step: number;
  /** width of a bar */
  band: number;
  /** left edge of bar i */
  x: (index: number) => number;
  /** centre of bar i */
  centre: (index: number) => number;
}

/**
 * `count` equal slots across `width` starting at `start`; each bar fills (1 − padding) of its
 * slot, but is never wider than `maxBand` (a few bars stay bars, not slabs).
 */
export function bandLayout(count: number, width: number, padding = 0.3, start = 0, maxBand = Number.POSITIVE_INFINITY): Bands {
  const step = count > 0 ? width / count : width;
  const band = Math.min(maxBand, step * (1 - Math.min(0.95, Math.max(0, padding))));
  const x = (index: number) => start + index * step + (step - band) / 2;
  return { step, band, x, centre: (index) => x(index) + band / 2 };
}

export interface BarGeometry {
  /** top edge and height of the bar (from the zero line to the mean) */
  y: number;
  height: number;
  /** the mean's position */
  mean: number;
  /** the 95% CI whisker's ends (ciTop ≤ ciBottom in screen coordinates) */
  ciTop: number;
  ciBottom: number;
}

/** A vertical bar from 0 to the mean, with its CI as a whisker, on the value scale `y` (screen y). */
export function barGeometry(stat: Pick<MetricStat, 'mean' | 'ci_low' | 'ci_high'>, y: Scale): BarGeometry {
  const zero = y(0);
  const mean = y(stat.mean);
  const a = y(stat.ci_low);
  const b = y(stat.ci_high);
  return { y: Math.min(zero, mean), height: Math.abs(zero - mean), mean, ciTop: Math.min(a, b), ciBottom: Math.max(a, b) };
}

export interface Point {
  x: number;
  y: number;
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);

/** An SVG path through the points in order ('' for none). */
export function linePath(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${fmt(p.x)},${fmt(p.y)}`).join('');
}

/** A closed SVG path between an upper and a lower line over the same x positions (a CI band). */
export function bandPath(upper: readonly Point[], lower: readonly Point[]): string {
  if (upper.length === 0 || lower.length === 0) return '';
  return `${linePath(upper)}${[...lower].reverse().map((p) => `L${fmt(p.x)},${fmt(p.y)}`).join('')}Z`;
}

export interface DepthPoint {
  /** depth as a fraction: layer / (layers − 1); a single layer is 1 */
  fraction: number;
  stat: MetricStat;
}

/** One method's per-layer results as points along the depth, in layer order. */
export function depthPoints(stats: readonly MetricStat[], layers: number): DepthPoint[] {
  return [...stats].sort((a, b) => a.layer - b.layer).map((stat) => ({ fraction: layerFraction(stat.layer, layers), stat }));
}

/** Bright, distinguishable colours on the dark background, one per model (by its place in /models). */
export const MODEL_COLORS = ['#5eb8ff', '#f78c6c', '#5ed28a', '#c792ea', '#ffd166', '#4dd0e1', '#ff6b9a', '#a3be8c', '#e0a96d', '#8fa1ff'] as const;

export function modelColor(index: number): string {
  const n = MODEL_COLORS.length;
  return MODEL_COLORS[((index % n) + n) % n]!;
}

/** WCAG relative luminance of an sRGB colour (0 = black, 1 = white). */
export function relativeLuminance([r, g, b]: readonly [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export interface HeatColour {
  background: string;
  /** dark text on light cells, white on dark ones */
  text: string;
}

/** The colour of a heat-table cell: `value` placed in `range` on the colormap, and a readable text colour. */
export function heatColour(value: number, range: ValueRange, cmap: ColormapName): HeatColour {
  const rgb = colorAt(cmap, toUnit(value, range));
  return { background: rgbHex(rgb), text: relativeLuminance(rgb) > 0.3 ? '#0f1115' : '#ffffff' };
}

/** Per-head results arranged as rows[layer][head] (null where a head has no result). */
export function headGrid(stats: readonly MetricStat[], layers: number, heads: number): (MetricStat | null)[][] {
  const rows = Array.from({ length: layers }, () => Array.from<MetricStat | null>({ length: heads }).fill(null));
  for (const s of stats) {
    if (s.head === null || s.layer < 0 || s.layer >= layers || s.head < 0 || s.head >= heads) continue;
    rows[s.layer]![s.head] = s;
  }
  return rows;
}

/** The best `n` (best first) and the worst `n` (worst first) of a list ranked best first, never overlapping. */
export function bestAndWorst<T>(ranked: readonly T[], n: number): { best: T[]; worst: T[] } {
  const best = ranked.slice(0, Math.min(n, Math.ceil(ranked.length / 2)));
  const worstCount = Math.min(n, ranked.length - best.length);
  const worst = worstCount > 0 ? ranked.slice(ranked.length - worstCount).reverse() : [];
  return { best, worst };
}
