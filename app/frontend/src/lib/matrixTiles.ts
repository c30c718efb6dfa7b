/**
 * The token × token matrix view's geometry: which pooled tiles (`/texts/{id}/matrix`) cover the
 * viewport at the current zoom, how zoom and pan move the view, and how a tile's values become pixels.
 * Pure functions: the canvas component (components/texts/TokenMatrix.tsx) only draws what they say.
 */

/** Cells per tile side: a tile is TILE × TILE pooled cells, TILE·block tokens. */
export const TILE = 256;
/** The closest zoom: this many screen pixels per token. */
export const MAX_SCALE = 24;

/** What the canvas shows: token (x0 keys, y0 queries) at its top-left corner, `scale` pixels per token. */
export interface MatrixView {
  x0: number;
  y0: number;
  scale: number;
  width: number;
  height: number;
}

export interface TileSpec {
  block: number;
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

/** The whole n × n matrix fitted into the canvas. */
export function fitView(n: number, width: number, height: number): MatrixView {
  const scale = Math.min(width, height) / Math.max(n, 1);
  return { x0: 0, y0: 0, scale, width, height };
}

/** The block (a power of two) that gives about one pooled cell per screen pixel at `scale`. */
export function blockFor(scale: number, minBlock = 1): number {
  const wanted = scale >= 1 ? 1 : 2 ** Math.floor(Math.log2(1 / scale));
  return Math.max(minBlock, wanted);
}

/** The tiles at `block` that the view shows, causal ones only (a tile wholly above the diagonal is empty). */
export function visibleTiles(view: MatrixView, n: number, block: number): TileSpec[] {
  const span = TILE * block;
  const x1 = Math.min(n, view.x0 + view.width / view.scale);
  const y1 = Math.min(n, view.y0 + view.height / view.scale);
  const tiles: TileSpec[] = [];
  const firstI = Math.max(0, Math.floor(view.y0 / span));
  const firstJ = Math.max(0, Math.floor(view.x0 / span));
  for (let i = firstI; i * span < y1; i++) {
    for (let j = firstJ; j * span < x1; j++) {
      const q0 = i * span;
      const k0 = j * span;
      const q1 = Math.min(n, q0 + span);
      if (k0 > q1 - 1) continue; // every key after every query: nothing attends there
      tiles.push({ block, q0, q1, k0, k1: Math.min(n, k0 + span) });
    }
  }
  return tiles;
}

/** Keep the view on the matrix: no panning past its edges, no zooming out past the fitted view. */
export function clampView(view: MatrixView, n: number): MatrixView {
  const fitted = fitView(n, view.width, view.height).scale;
  const scale = Math.min(MAX_SCALE, Math.max(fitted, view.scale));
  const maxX = Math.max(0, n - view.width / scale);
  const maxY = Math.max(0, n - view.height / scale);
  return { ...view, scale, x0: Math.min(maxX, Math.max(0, view.x0)), y0: Math.min(maxY, Math.max(0, view.y0)) };
}

/** Zoom by `factor` about the screen point (px, py): the token under it stays under it. */
export function zoomAt(view: MatrixView, factor: number, px: number, py: number, n: number): MatrixView {
  const tx = view.x0 + px / view.scale;
  const ty = view.y0 + py / view.scale;
  const scale = view.scale * factor;
  return clampView({ ...view, scale, x0: tx - px / scale, y0: ty - py / scale }, n);
}

/** Move the view by a drag of (dx, dy) screen pixels. */
export function panBy(view: MatrixView, dx: number, dy: number, n: number): MatrixView {
  return clampView({ ...view, x0: view.x0 - dx / view.scale, y0: view.y0 - dy / view.scale }, n);
}

/** The token cell under the screen point, or null off the matrix. */
export function cellAt(view: MatrixView, px: number, py: number, n: number): { query: number; key: number } | null {
  const key = Math.floor(view.x0 + px / view.scale);
  const query = Math.floor(view.y0 + py / view.scale);
  if (key < 0 || query < 0 || key >= n || query >= n) return null;
  return { query, key };
}

/** Where a probability sits on the colour scale: log10 from 1e-4 (0) to 1 (1); 0 and below is blank. */
export function logLevel(value: number): number {
  if (!(value > 0)) return -1;
  return Math.min(1, Math.max(0, (Math.log10(value) + 4) / 4));
}

/** RGBA pixels of a tile (row-major rows × cols) through a 256-entry RGB colour table. */
export function tilePixels(values: Float32Array, rows: number, cols: number, lut: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const pixels = new Uint8ClampedArray(new ArrayBuffer(rows * cols * 4));
  for (let i = 0; i < rows * cols; i++) {
    const level = logLevel(values[i]!);
    if (level < 0) continue;
    const at = Math.round(level * 255) * 3;
    pixels[i * 4] = lut[at]!;
    pixels[i * 4 + 1] = lut[at + 1]!;
    pixels[i * 4 + 2] = lut[at + 2]!;
    pixels[i * 4 + 3] = 255;
  }
  return pixels;
}
