/** Ranking faithfulness cells and drawing curves: pure functions of the `/metrics/faithfulness` bodies. */
import type { FaithfulnessCell, FaithfulnessCurve, FaithfulnessModel } from '../api/faithfulness';

export type CurveKind = 'deletion' | 'insertion';
/** What the dashboard ranks: every map, or one row per model / method / layer (its best map), or heads only. */
export type RankScope = 'maps' | 'models' | 'methods' | 'layers' | 'heads';

export const BASELINE_METHODS = ['random', 'centre'];

export interface RankedRow {
  model: string;
  cell: FaithfulnessCell;
  baseline: boolean;
}

/** Deletion: lower is more faithful (the score falls at once); insertion: higher is. */
export function better(kind: CurveKind, a: number, b: number): number {
  return kind === 'deletion' ? a - b : b - a;
}

function groupKey(scope: RankScope, model: string, cell: FaithfulnessCell): string {
  if (scope === 'models') return model;
  if (scope === 'methods') return `${model}|${cell.method}`;
  if (scope === 'layers') return `${model}|${cell.method}|${cell.layer}`;
  return `${model}|${cell.method}|${cell.layer}|${cell.head ?? 'fused'}`;
}

/**
 * Rows ranked best first by the mean AUC of `kind`; `scope` keeps the best map of each model
 * (`models`), model × method, model × method × layer, or only the per-head maps (`heads`).
 * Baselines (random, centre) are ranked among the rows and flagged, one per model.
 */
export function rankCells(models: FaithfulnessModel[], kind: CurveKind, scope: RankScope): RankedRow[] {
  const rows: RankedRow[] = [];
  for (const m of models) {
    for (const cell of m.cells) {
      const baseline = BASELINE_METHODS.includes(cell.method);
      if (scope === 'heads' && !baseline && cell.head === null) continue;
      rows.push({ model: m.model, cell, baseline });
    }
  }
  rows.sort((a, b) => better(kind, a.cell[kind].mean, b.cell[kind].mean) || a.model.localeCompare(b.model));
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = row.baseline ? `${row.model}|${row.cell.method}` : groupKey(scope, row.model, row.cell);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `cls · layer 11 · head 3` (fused: `cls · layer 11 · fused`; a baseline: its name). */
export function cellLabel(cell: Pick<FaithfulnessCell, 'method' | 'layer' | 'head'>): string {
  if (BASELINE_METHODS.includes(cell.method)) return `${cell.method} (baseline)`;
  return `${cell.method} · layer ${cell.layer} · ${cell.head === null ? 'fused' : `head ${cell.head}`}`;
}

/** The curve of the map on screen: that head, else the layer's fused map, else null. */
export function curveFor(curves: FaithfulnessCurve[], method: string, layer: number, head: number | null): FaithfulnessCurve | null {
  const same = (c: FaithfulnessCurve) => c.method === method && c.layer === layer;
  return curves.find((c) => same(c) && c.head === head) ?? curves.find((c) => same(c) && c.head === null) ?? null;
}

/** An SVG polyline's points for scores at x = 0, 1/k, …, 1 in a `width` × `height` box (y from `low` to `high`). */
export function curvePoints(scores: number[], width: number, height: number, low: number, high: number): string {
  const k = Math.max(scores.length - 1, 1);
  const span = high - low || 1;
  return scores
    .map((s, i) => `${((i / k) * width).toFixed(1)},${(height - ((s - low) / span) * height).toFixed(1)}`)
    .join(' ');
}

/** The y range of a chart: every score drawn, widened to include [0, 1] when they lie within it. */
export function scoreRange(series: number[][]): [number, number] {
  const all = series.flat();
  if (all.length === 0) return [0, 1];
  const low = Math.min(0, ...all);
  const high = Math.max(1, ...all);
  return [low, high];
}

export const formatAuc = (value: number) => value.toFixed(3);
