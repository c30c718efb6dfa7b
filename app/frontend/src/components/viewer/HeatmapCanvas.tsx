import { useLayoutEffect, useRef } from 'react';
import type { AnyColormap } from '../../lib/colormaps';
import type { ValueRange } from '../../lib/normalise';
import { drawHeatmap } from '../../lib/render';
import type { Interp } from '../../state/viewParams';

export interface HeatmapCanvasProps {
  values: Float32Array;
  gh: number;
  gw: number;
  range: ValueRange;
  cmap: AnyColormap;
  interp: Interp;
  opacity: number;
  /** what the map is, for tests and tools reading the page (data-* attributes) */
  label?: string;
}

/**
 * The map on a canvas of the patch grid's own size (one pixel per cell), stretched by CSS over
 * the whole image frame: bilinear (smooth) or as crisp cells. Drawn in a layout effect, so a
 * cached map appears in the same frame as the state change that asked for it.
 */
export function HeatmapCanvas({ values, gh, gw, range, cmap, interp, opacity, label }: HeatmapCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { lo, hi } = range; // by value: a new range object with the same ends draws nothing new
  useLayoutEffect(() => {
    if (ref.current !== null) drawHeatmap(ref.current, values, { gh, gw }, { lo, hi }, cmap);
  }, [values, gh, gw, lo, hi, cmap]);
  return (
    <canvas
      ref={ref}
      className={`heatmap heatmap-${interp}`}
      width={gw}
      height={gh}
      style={{ opacity }}
      data-testid="heatmap"
      data-map={label}
      data-grid={`${gh}x${gw}`}
      data-range={`${range.lo},${range.hi}`}
      aria-label={label ? `attention map: ${label}` : 'attention map'}
      role="img"
    />
  );
}
