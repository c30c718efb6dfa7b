import { describe, expect, it } from 'vitest';
import { blockFor, cellAt, clampView, fitView, logLevel, panBy, TILE, tilePixels, visibleTiles, zoomAt } from './matrixTiles';

/** Every tile of a plain loop over the grid that intersects the view and has a key ≤ some query. */
function bruteTiles(n: number, x0: number, y0: number, x1: number, y1: number, block: number) {
  const span = TILE * block;
  const found: string[] = [];
  for (let q0 = 0; q0 < n; q0 += span) {
    for (let k0 = 0; k0 < n; k0 += span) {
      const q1 = Math.min(n, q0 + span);
      const k1 = Math.min(n, k0 + span);
      const overlaps = q0 < y1 && q1 > y0 && k0 < x1 && k1 > x0;
      if (overlaps && k0 <= q1 - 1) found.push(`${q0},${q1},${k0},${k1}`);
    }
  }
  return found.sort();
}

describe('matrix tiles', () => {
  it('fits the whole matrix and picks about one pooled cell per pixel', () => {
    const view = fitView(32_768, 512, 512);
    expect(view.scale).toBeCloseTo(512 / 32_768);
    expect(blockFor(view.scale)).toBe(64);
    expect(blockFor(1)).toBe(1);
    expect(blockFor(3)).toBe(1);
    expect(blockFor(0.3)).toBe(2);
    expect(blockFor(0.3, 8)).toBe(8);
  });

  it('covers the view with the causal tiles a plain loop finds', () => {
    const n = 32_768;
    for (const [x0, y0, scale] of [
      [0, 0, 512 / n],
      [1000, 9000, 0.1],
      [20_000, 20_000, 1],
      [30_000, 100, 2],
    ] as const) {
      const view = { x0, y0, scale, width: 512, height: 400 };
      const block = blockFor(scale);
      const tiles = visibleTiles(view, n, block).map((t) => `${t.q0},${t.q1},${t.k0},${t.k1}`).sort();
      const x1 = Math.min(n, x0 + 512 / scale);
      const y1 = Math.min(n, y0 + 400 / scale);
      expect(tiles).toEqual(bruteTiles(n, x0, y0, x1, y1, block));
      for (const t of visibleTiles(view, n, block)) {
        expect(Math.ceil((t.q1 - t.q0) / block) * Math.ceil((t.k1 - t.k0) / block)).toBeLessThanOrEqual(TILE * TILE);
      }
    }
    // keys after every query in the view: nothing to fetch
    expect(visibleTiles({ x0: 20_000, y0: 0, scale: 1, width: 256, height: 256 }, n, 1)).toEqual([]);
  });

  it('zooms about the cursor and pans within the matrix', () => {
    const n = 4096;
    const start = fitView(n, 400, 400);
    const zoomed = zoomAt(start, 8, 100, 300, n);
    // the token under the cursor stays under it
    expect(zoomed.x0 + 100 / zoomed.scale).toBeCloseTo(start.x0 + 100 / start.scale, 6);
    expect(zoomed.y0 + 300 / zoomed.scale).toBeCloseTo(start.y0 + 300 / start.scale, 6);
    // never out past the fitted view, never past the edges
    expect(zoomAt(start, 0.1, 0, 0, n).scale).toBeCloseTo(start.scale);
    const far = panBy(zoomed, -1e9, -1e9, n);
    expect(far.x0).toBeCloseTo(n - 400 / zoomed.scale);
    expect(panBy(zoomed, 1e9, 1e9, n).x0).toBe(0);
    expect(clampView({ ...start, scale: 1e6 }, n).scale).toBe(24);
    expect(cellAt(zoomed, 100, 300, n)).toEqual({ query: Math.floor(zoomed.y0 + 300 / zoomed.scale), key: Math.floor(zoomed.x0 + 100 / zoomed.scale) });
    expect(cellAt(start, 401, 0, n)).toBeNull();
  });

  it('colours probabilities on a log scale, blank for zero', () => {
    expect(logLevel(1)).toBe(1);
    expect(logLevel(1e-4)).toBe(0);
    expect(logLevel(1e-2)).toBeCloseTo(0.5);
    expect(logLevel(0)).toBe(-1);
    const lut = new Uint8Array(256 * 3).map((_, i) => Math.floor(i / 3));
    const pixels = tilePixels(new Float32Array([1, 0, 1e-2, 1e-9]), 2, 2, lut);
    expect([...pixels.slice(0, 4)]).toEqual([255, 255, 255, 255]);
    expect(pixels[7]).toBe(0); // 0: transparent
    expect(Math.abs(pixels[8]! - 127.5)).toBeLessThanOrEqual(0.5); // 1e-2: the middle of the table
    expect([...pixels.slice(12, 16)]).toEqual([0, 0, 0, 255]); // below 1e-4: the low end, still drawn
  });
});
