/**
 * `/metrics/shift` as the dashboard draws it: the mean total-variation distance between a variant's
 * and its base's maps, per layer × head (head −1 = the fused map), with a bootstrap 95% CI.
 */
import type { ShiftCell } from '../api/types';
import type { ValueRange } from './normalise';

/** The fused map's head index in `/metrics/shift`. */
export const FUSED_HEAD = -1;

export interface ShiftGrid {
  /** rows[layer][head]: null where a head has no result */
  rows: (ShiftCell | null)[][];
  /** the fused map's cell of each layer */
  fused: (ShiftCell | null)[];
  layers: number;
  heads: number;
  /** the per-head cell that moved most (null without per-head cells) */
  largest: ShiftCell | null;
}

/** The cells as a table of `layers` × `heads` (grown to fit any cell beyond them). */
export function shiftGrid(cells: readonly ShiftCell[], layers: number, heads: number): ShiftGrid {
  const rowCount = Math.max(layers, ...cells.map((c) => c.layer + 1));
  const headCount = Math.max(heads, ...cells.map((c) => c.head + 1));
  const rows = Array.from({ length: rowCount }, () => Array.from<ShiftCell | null>({ length: headCount }).fill(null));
  const fused = Array.from<ShiftCell | null>({ length: rowCount }).fill(null);
  let largest: ShiftCell | null = null;
  for (const c of cells) {
    if (c.layer < 0) continue;
    if (c.head === FUSED_HEAD) fused[c.layer] = c;
    else if (c.head >= 0) {
      rows[c.layer]![c.head] = c;
      if (largest === null || c.mean > largest.mean) largest = c;
    }
  }
  return { rows, fused, layers: rowCount, heads: headCount, largest };
}

/** The colour scale of a shift table: 0 (no change) … the largest mean distance (0…1 when nothing moved). */
export function shiftRange(cells: readonly ShiftCell[]): ValueRange {
  const hi = Math.max(0, ...cells.map((c) => c.mean));
  return { lo: 0, hi: hi > 0 ? hi : 1 };
}

/** One cell's numbers in words: "0.123 (95% CI 0.101–0.150, 12 images)". */
export function describeShift(c: Pick<ShiftCell, 'mean' | 'ci_low' | 'ci_high' | 'n'>): string {
  return `${c.mean.toFixed(3)} (95% CI ${c.ci_low.toFixed(3)}–${c.ci_high.toFixed(3)}, ${c.n} image${c.n === 1 ? '' : 's'})`;
}

export function shiftCellName(c: Pick<ShiftCell, 'layer' | 'head'>): string {
  return `layer ${c.layer} · ${c.head === FUSED_HEAD ? 'fused' : `head ${c.head}`}`;
}
