/**
 * Colormaps as 256-colour lookup tables: the same tables matplotlib (and so the API's
 * heatmap.png) uses, so the viewer and an exported server-side PNG agree colour for colour.
 * A value t in [0, 1] gets entry round(t * 255).
 */
import { COLORMAP_HEX, DIVERGING_HEX } from './colormapData';

export const COLORMAPS = ['viridis', 'magma', 'turbo', 'gray'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/** Diverging tables for signed maps (lib/diverging.ts): not in the picker. */
export type DivergingName = keyof typeof DIVERGING_HEX;
/** Any table the renderer can draw through. */
export type AnyColormap = ColormapName | DivergingName;

export function isColormap(name: string): name is ColormapName {
  return (COLORMAPS as readonly string[]).includes(name);
}

const cache = new Map<AnyColormap, Uint8Array>();

/** 256 × RGB bytes of `name`, from the low end (index 0) to the high end (index 255). */
export function colormapLut(name: AnyColormap): Uint8Array {
  let lut = cache.get(name);
  if (lut === undefined) {
    const hex = isColormap(name) ? COLORMAP_HEX[name] : DIVERGING_HEX[name];
    if (hex.length !== 256 * 6) throw new Error(`colormap ${name}: expected 1536 hex digits, got ${hex.length}`);
    lut = new Uint8Array(256 * 3);
    for (let i = 0; i < 256 * 3; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    cache.set(name, lut);
  }
  return lut;
}

/** Index of a unit value in a 256-entry table: clipped to [0, 1], rounded; NaN → 0. */
export function lutIndex(t: number): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  return Math.round(t * 255);
}

/** The [r, g, b] colour of unit value `t`. */
export function colorAt(name: AnyColormap, t: number): [number, number, number] {
  const lut = colormapLut(name);
  const i = 3 * lutIndex(t);
  return [lut[i]!, lut[i + 1]!, lut[i + 2]!];
}

export function rgbHex([r, g, b]: readonly [number, number, number]): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** A CSS linear-gradient of the colormap (low end on the left), for colour bars and swatches. */
export function cssGradient(name: AnyColormap, direction = 'to right', stops = 17): string {
  const parts: string[] = [];
  for (let s = 0; s < stops; s++) {
    const t = s / (stops - 1);
    parts.push(`${rgbHex(colorAt(name, t))} ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(${direction}, ${parts.join(', ')})`;
}
