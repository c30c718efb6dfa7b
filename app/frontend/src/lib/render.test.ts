import { describe, expect, it } from 'vitest';
import { colorAt } from './colormaps';
import { cellAt, colorizeMap, drawHeatmap, headSlice, layerAtFraction, layerFraction, type CanvasLike } from './render';

/** A canvas stand-in that keeps what was put on it. */
function fakeCanvas(width = 300, height = 150) {
  let pixels: { data: Uint8ClampedArray; width: number; height: number } | null = null;
  const canvas: CanvasLike & { pixels: () => typeof pixels; puts: number } = {
    width,
    height,
    puts: 0,
    pixels: () => pixels,
    getContext: () => ({
      createImageData: ((w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4), width: w, height: h, colorSpace: 'srgb' })) as never,
      putImageData: ((image: { data: Uint8ClampedArray; width: number; height: number }, x: number, y: number) => {
        expect([x, y]).toEqual([0, 0]);
        pixels = image;
        canvas.puts += 1;
      }) as never,
    }),
  };
  return canvas;
}

const pixel = (data: Uint8ClampedArray, i: number) => Array.from(data.slice(4 * i, 4 * i + 4));

describe('colorizeMap', () => {
  it('colours each cell through the colormap over the range, alpha 255', () => {
    const out = colorizeMap(new Float32Array([0, 0.5, 1, 0.25]), { lo: 0, hi: 1 }, 'gray');
    expect(pixel(out, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(out, 1)).toEqual([128, 128, 128, 255]);
    expect(pixel(out, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(out, 3)).toEqual([64, 64, 64, 255]);
  });

  it('per-map range: the smallest value is the low end, the largest the high end', () => {
    const out = colorizeMap([0.25, 0.5, 0.75], { lo: 0.25, hi: 0.75 }, 'viridis');
    expect(pixel(out, 0)).toEqual([...colorAt('viridis', 0), 255]);
    expect(pixel(out, 1)).toEqual([...colorAt('viridis', 0.5), 255]);
    expect(pixel(out, 2)).toEqual([...colorAt('viridis', 1), 255]);
  });

  it('values outside the range clip to the ends', () => {
    const out = colorizeMap([-1, 5], { lo: 0, hi: 1 }, 'magma');
    expect(pixel(out, 0)).toEqual([...colorAt('magma', 0), 255]);
    expect(pixel(out, 1)).toEqual([...colorAt('magma', 1), 255]);
  });

  it('checks the output size', () => {
    expect(() => colorizeMap([1, 2], { lo: 0, hi: 1 }, 'gray', new Uint8ClampedArray(4))).toThrow(RangeError);
  });
});

describe('drawHeatmap', () => {
  it('sizes the canvas to the grid (one pixel per cell) and puts row-major pixels', () => {
    const canvas = fakeCanvas();
    // a 2×3 map: row 0 = 0, 0.5, 1; row 1 = 1, 0.5, 0
    drawHeatmap(canvas, new Float32Array([0, 0.5, 1, 1, 0.5, 0]), { gh: 2, gw: 3 }, { lo: 0, hi: 1 }, 'gray');
    expect([canvas.width, canvas.height]).toEqual([3, 2]);
    const image = canvas.pixels()!;
    expect([image.width, image.height]).toEqual([3, 2]);
    const grays = Array.from({ length: 6 }, (_, i) => image.data[4 * i]);
    expect(grays).toEqual([0, 128, 255, 255, 128, 0]);
    expect(Array.from({ length: 6 }, (_, i) => image.data[4 * i + 3])).toEqual([255, 255, 255, 255, 255, 255]);
  });

  it('redraws on the same canvas without resizing it', () => {
    const canvas = fakeCanvas(3, 2);
    drawHeatmap(canvas, [0, 0, 0, 0, 0, 0], { gh: 2, gw: 3 }, { lo: 0, hi: 1 }, 'turbo');
    drawHeatmap(canvas, [1, 1, 1, 1, 1, 1], { gh: 2, gw: 3 }, { lo: 0, hi: 1 }, 'turbo');
    expect(canvas.puts).toBe(2);
    expect(pixel(canvas.pixels()!.data, 5)).toEqual([...colorAt('turbo', 1), 255]);
  });

  it('refuses a map that does not fit the grid', () => {
    expect(() => drawHeatmap(fakeCanvas(), [1, 2, 3], { gh: 2, gw: 2 }, { lo: 0, hi: 1 }, 'gray')).toThrow(RangeError);
  });
});

describe('cellAt', () => {
  const grid = { gh: 4, gw: 8 };
  it('finds the cell under a point of the frame', () => {
    expect(cellAt(0, 0, grid)).toEqual({ row: 0, col: 0 });
    expect(cellAt(0.99, 0.99, grid)).toEqual({ row: 3, col: 7 });
    expect(cellAt(0.5, 0.5, grid)).toEqual({ row: 2, col: 4 });
    expect(cellAt(1, 1, grid)).toEqual({ row: 3, col: 7 }); // the far edge belongs to the last cell
  });
  it('stretches a non-square grid (a VLM\'s 12×16) over the whole frame', () => {
    const vlm = { gh: 12, gw: 16 };
    expect(cellAt(0.999, 0.999, vlm)).toEqual({ row: 11, col: 15 });
    expect(cellAt(0.5, 0.5, vlm)).toEqual({ row: 6, col: 8 });
    expect(cellAt(1 / 16, 1 / 12, vlm)).toEqual({ row: 1, col: 1 });
    const canvas = fakeCanvas();
    drawHeatmap(canvas, new Float32Array(12 * 16), vlm, { lo: 0, hi: 1 }, 'gray');
    expect([canvas.width, canvas.height]).toEqual([16, 12]);
  });
  it('is null outside the frame', () => {
    expect(cellAt(-0.01, 0.5, grid)).toBeNull();
    expect(cellAt(0.5, 1.01, grid)).toBeNull();
    expect(cellAt(Number.NaN, 0.5, grid)).toBeNull();
  });
});

describe('headSlice and layer fractions', () => {
  it('slices one head out of (heads, gh, gw)', () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(headSlice(values, 1, { gh: 2, gw: 2 }))).toEqual([5, 6, 7, 8]);
  });
  it('maps depth between models: round(fraction × (L − 1))', () => {
    expect(layerAtFraction(1, 12)).toBe(11);
    expect(layerAtFraction(0, 12)).toBe(0);
    expect(layerAtFraction(layerFraction(6, 12), 24)).toBe(13); // 6/11 × 23 = 12.545…
    expect(layerAtFraction(layerFraction(2, 3), 12)).toBe(11);
    expect(layerAtFraction(0.5, 1)).toBe(0); // a single-layer method (pool)
    expect(layerFraction(0, 1)).toBe(1);
  });
});
