/**
 * Extreme aspect ratios: a model with one fixed input grid (every ViT: `grid` is [gh, gw] for
 * every image) resizes the whole image to that grid without cropping, so an 800×200 panorama on a
 * 16×16 grid gets cells of 50×12.5 px — the map is of a squashed image. Models whose grid follows
 * each image (VLMs: `grid` is null) keep the aspect and get no warning.
 */
import type { ModelInfo } from '../api/types';

/** Beyond this ratio (longer side ÷ shorter side, image vs. the model's input) the viewer warns. */
export const MAX_ASPECT = 2;

export interface AspectWarning {
  /** the image's aspect, e.g. "4:1" or "1:4" (width:height, rounded to one decimal) */
  aspect: string;
  /** the models that see the image squashed */
  models: string[];
  /** the image pixels one cell of the first such model covers: [width, height] */
  cell: [number, number];
  /** that model's grid [gh, gw] */
  grid: [number, number];
}

function ratio(width: number, height: number): string {
  const round = (x: number) => String(Math.round(x * 10) / 10);
  return width >= height ? `${round(width / height)}:1` : `1:${round(height / width)}`;
}

/** The warning for an image of `width`×`height` under `models`, or null (unknown size, or no model squashes it beyond 2:1). */
export function aspectWarning(width: number | null, height: number | null, models: readonly Pick<ModelInfo, 'key' | 'grid'>[]): AspectWarning | null {
  if (width === null || height === null || width <= 0 || height <= 0) return null;
  const squashed = models.filter((m) => {
    if (m.grid === null) return false;
    const [gh, gw] = m.grid;
    const stretch = width / height / (gw / gh); // 1 when the image has the input's aspect
    return Math.max(stretch, 1 / stretch) > MAX_ASPECT;
  });
  const first = squashed[0];
  if (first?.grid == null) return null;
  const [gh, gw] = first.grid;
  return {
    aspect: ratio(width, height),
    models: squashed.map((m) => m.key),
    cell: [width / gw, height / gh],
    grid: [gh, gw],
  };
}

/** "50×12.5" — a cell's size in image pixels, to one decimal. */
export function formatCell([w, h]: [number, number]): string {
  const round = (x: number) => String(Math.round(x * 10) / 10);
  return `${round(w)}×${round(h)}`;
}
