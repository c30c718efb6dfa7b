/**
 * Heatmap rendering: a map on the patch grid becomes one RGBA pixel per cell, drawn on a canvas
 * of the grid's own size (gw × gh). The page scales that canvas over the full image frame with
 * CSS: smoothly (bilinear) or as crisp cells (`image-rendering: pixelated`). Everything but
 * `drawHeatmap` is pure and unit-tested pixel by pixel.
 */
import { colormapLut, lutIndex, type AnyColormap } from './colormaps';
import { toUnit, type ValueRange } from './normalise';

export interface GridShape {
  gh: number;
  gw: number;
}

/** RGBA bytes (row-major, alpha 255) of `values` coloured through `cmap` over `range`. */
export function colorizeMap(
  values: ArrayLike<number>,
  range: ValueRange,
  cmap: AnyColormap,
  out: Uint8ClampedArray = new Uint8ClampedArray(values.length * 4),
): Uint8ClampedArray {
  if (out.length !== values.length * 4) {
    throw new RangeError(`output has ${out.length} bytes, need ${values.length * 4}`);
  }
  const lut = colormapLut(cmap);
  for (let i = 0; i < values.length; i++) {
    const k = 3 * lutIndex(toUnit(values[i]!, range));
    const o = 4 * i;
    out[o] = lut[k]!;
    out[o + 1] = lut[k + 1]!;
    out[o + 2] = lut[k + 2]!;
    out[o + 3] = 255;
  }
  return out;
}

/** The smallest surface `drawHeatmap` needs (an HTMLCanvasElement or an OffscreenCanvas). */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): Pick<CanvasRenderingContext2D, 'putImageData' | 'createImageData'> | null;
}

/** Size `canvas` to the grid and put the coloured cells on it (one pixel per cell). */
export function drawHeatmap(
  canvas: CanvasLike,
  values: ArrayLike<number>,
  { gh, gw }: GridShape,
  range: ValueRange,
  cmap: AnyColormap,
): void {
  if (values.length !== gh * gw) throw new RangeError(`map has ${values.length} values, grid is ${gh}×${gw}`);
  if (canvas.width !== gw) canvas.width = gw;
  if (canvas.height !== gh) canvas.height = gh;
  const context = canvas.getContext('2d');
  if (context === null) return;
  const image = context.createImageData(gw, gh);
  colorizeMap(values, range, cmap, image.data);
  context.putImageData(image, 0, 0);
}

/**
 * The grid cell under a point of the image frame, given in unit coordinates (0..1 from the left
 * and top edges); null outside. Cell (row, col) covers [col/gw, (col+1)/gw) × [row/gh, (row+1)/gh).
 */
export function cellAt(x: number, y: number, { gh, gw }: GridShape): { row: number; col: number } | null {
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return null;
  return { row: Math.min(gh - 1, Math.floor(y * gh)), col: Math.min(gw - 1, Math.floor(x * gw)) };
}

/** Slice head `head` out of a (heads, gh, gw) row-major array, without copying. */
export function headSlice(values: Float32Array, head: number, { gh, gw }: GridShape): Float32Array {
  const size = gh * gw;
  return values.subarray(head * size, (head + 1) * size);
}

/** A model's layer at the same depth as `fraction` (0 = first layer, 1 = last): round(f × (L − 1)). */
export function layerAtFraction(fraction: number, layers: number): number {
  if (layers <= 1) return 0;
  const f = Math.min(1, Math.max(0, fraction));
  return Math.round(f * (layers - 1));
}

/** The depth of `layer` among `layers` as a fraction (a single layer is depth 1). */
export function layerFraction(layer: number, layers: number): number {
  return layers <= 1 ? 1 : layer / (layers - 1);
}
