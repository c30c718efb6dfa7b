/**
 * Display normalisation: which value range maps onto the colormap's two ends.
 *
 * The stored maps are raw attention probabilities; nothing is rescaled on the server.
 * - `map`   (per map): the min..max of the map on screen. Shows the map's structure at any
 *           magnitude; two maps' colours are not comparable.
 * - `layer` (per layer): the min..max over every head of this layer (from `/heads`), so all heads
 *           of a layer — and the fused map — share one scale. Falls back to `map` where the
 *           method has no per-head data (rollout) or they were not precomputed.
 * - `abs`   (absolute): the fixed probability range 0..1, the same for every map, layer, head
 *           and model (as `heatmap.png?normalize=none`). Magnitudes compare directly; most maps
 *           look dark because attention spreads over many patches.
 */

export const NORM_MODES = ['map', 'layer', 'abs'] as const;
export type NormMode = (typeof NORM_MODES)[number];

export const NORM_LABELS: Record<NormMode, string> = {
  map: 'Per map',
  layer: 'Per layer',
  abs: 'Absolute (0–1)',
};

export const NORM_HELP: Record<NormMode, string> = {
  map: "Per map: the colour scale spans this map's own min…max. Best for structure; colours are not comparable between maps.",
  layer:
    'Per layer: the scale spans the min…max over all heads of this layer, so heads (and the fused map) of one layer share one scale. Methods without per-head data fall back to per map.',
  abs: 'Absolute: the fixed probability range 0…1 for every map, so magnitudes compare across layers, heads and models. Most maps look dark: attention spreads over many patches.',
};

export function isNormMode(value: string): value is NormMode {
  return (NORM_MODES as readonly string[]).includes(value);
}

export interface ValueRange {
  lo: number;
  hi: number;
}

/** Min and max of the finite values (an empty or all-NaN array gives 0..0). */
export function rangeOf(values: ArrayLike<number>): ValueRange {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? { lo, hi } : { lo: 0, hi: 0 };
}

export interface ResolvedRange extends ValueRange {
  /** The mode actually used (`layer` falls back to `map` without a layer range). */
  mode: NormMode;
}

/**
 * The range drawn for `mode`: `mapRange` is this map's own min..max, `layerRange` the range over
 * all heads of its layer (null when there is no per-head data).
 */
export function resolveRange(mode: NormMode, mapRange: ValueRange, layerRange: ValueRange | null): ResolvedRange {
  if (mode === 'abs') return { lo: 0, hi: 1, mode };
  if (mode === 'layer' && layerRange !== null) {
    return { lo: Math.min(layerRange.lo, mapRange.lo), hi: Math.max(layerRange.hi, mapRange.hi), mode };
  }
  return { ...mapRange, mode: 'map' };
}

/** Position of `value` in `range` as a unit value, clipped to [0, 1]; a zero-width range gives 0. */
export function toUnit(value: number, { lo, hi }: ValueRange): number {
  const span = hi - lo;
  if (!(span > 0) || Number.isNaN(value)) return 0;
  const t = (value - lo) / span;
  return t < 0 ? 0 : t > 1 ? 1 : t;
}

/** A short readable number: 0, 0.0186, 1.23e-5. */
export function formatValue(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e4) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}
