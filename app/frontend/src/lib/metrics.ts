/**
 * Localisation metrics as the app shows them: what each one means (docs/metrics.md), how a score
 * and its confidence interval are written, and the values of one map picked out of an image's list.
 */
import type { ImageMetric, MetricStat } from '../api/types';
import type { MethodNamer } from './methods';
import type { TokenRange } from './tokens';

export const BASELINE_MODEL = 'baseline';
export const BASELINES = ['centre', 'random'] as const;
export type BaselineName = (typeof BASELINES)[number];

export const BASELINE_HELP: Record<BaselineName, string> = {
  centre: 'centre baseline: an isotropic Gaussian at the image centre (σ = ¼ of each side), scored the same way',
  random: 'random baseline: uniform noise (seeded by the image id), scored the same way',
};

/** One line per metric of docs/metrics.md. */
export const METRIC_HELP: Record<string, string> = {
  iou_top10: 'IoU of the top 10% of the map (upsampled to the image frame) with the union of the boxes',
  iou_top25: 'IoU of the top 25% of the map with the union of the boxes',
  iou_top50: 'IoU of the top 50% of the map with the union of the boxes',
  mass_iou_60: "IoU with the boxes of DINO's mask: the fewest patches holding ≥ 60% of the map's mass",
  pointing_15px: "pointing game: share of images whose map maximum lies within 15 px of a box",
  energy: "share of the map's mass inside the boxes",
};

export function metricHelp(metric: string): string {
  return METRIC_HELP[metric] ?? metric;
}

/** A score with 3 decimals (all metrics lie in 0…1): 0.631. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value.toFixed(3);
}

/** "0.631 (95% CI 0.502–0.750, n = 10)" */
export function describeStat(stat: Pick<MetricStat, 'mean' | 'ci_low' | 'ci_high' | 'count'>): string {
  return `${formatScore(stat.mean)} (95% CI ${formatScore(stat.ci_low)}–${formatScore(stat.ci_high)}, n = ${stat.count})`;
}

/** "dinov2 · cls · layer 11", with " · head 3" for a head; `methodName` names the method (a VLM's: "Vision mean"). */
export function statLabel(stat: Pick<MetricStat, 'model' | 'method' | 'layer' | 'head'>, methodName?: MethodNamer): string {
  if (stat.model === BASELINE_MODEL) return `${stat.method} baseline`;
  const method = methodName ? methodName(stat.model, stat.method) : stat.method;
  return `${stat.model} · ${method} · layer ${stat.layer}${stat.head !== null ? ` · head ${stat.head}` : ''}`;
}

/** The baselines of a /metrics answer by name (centre, random); absent ones are left out. */
export function baselinesByName(stats: readonly MetricStat[]): Partial<Record<BaselineName, MetricStat>> {
  const out: Partial<Record<BaselineName, MetricStat>> = {};
  for (const s of stats) {
    if (s.model === BASELINE_MODEL && (BASELINES as readonly string[]).includes(s.method) && s.head === null) {
      out[s.method as BaselineName] ??= s;
    }
  }
  return out;
}

export interface MapSelector {
  model: string;
  method: string;
  layer: number;
  /** null: the fused map */
  head: number | null;
}

export interface MetricRow {
  metric: string;
  value: number | null;
  centre: number | null;
  random: number | null;
}

/**
 * One map's values out of an image's `/metrics/{id}?heads=true` list, beside the baselines'
 * values for the same image, one row per metric (sorted by name).
 */
export function mapMetricRows(values: readonly ImageMetric[], map: MapSelector): MetricRow[] {
  const rows = new Map<string, MetricRow>();
  const row = (metric: string) => {
    let r = rows.get(metric);
    if (r === undefined) {
      r = { metric, value: null, centre: null, random: null };
      rows.set(metric, r);
    }
    return r;
  };
  for (const v of values) {
    if (v.model === BASELINE_MODEL) {
      if (v.head === null && (v.method === 'centre' || v.method === 'random')) row(v.metric)[v.method] = v.value;
    } else if (v.model === map.model && v.method === map.method && v.layer === map.layer && v.head === map.head) {
      row(v.metric).value = v.value;
    }
  }
  return [...rows.values()].sort((a, b) => a.metric.localeCompare(b.metric));
}

/** Whether an image's list has any value of this model at all (else it is not scored yet). */
export function hasModelMetrics(values: readonly ImageMetric[], model: string): boolean {
  return values.some((v) => v.model === model);
}

export interface TextScoreNote {
  /** what the scores of a VLM's `text` method are of */
  scope: string;
  /** how they differ from the map on screen (another prompt, a token selection); null when they are its scores */
  caveat: string | null;
}

/**
 * A VLM's `text` scores are of one map per image and layer (and head): the mean map of the whole
 * answer of the image's first prompt (`firstPrompt`, null while unknown). What to say beside them,
 * given the prompt and tokens on screen.
 */
export function textScoreNote(shown: { prompt: number | null; token: TokenRange | null }, firstPrompt: number | null): TextScoreNote {
  const scope = `Scored: the answer's mean map, first prompt${firstPrompt === null ? '' : ` (prompt ${firstPrompt})`}.`;
  let caveat: string | null = null;
  if (firstPrompt !== null && shown.prompt !== null && shown.prompt !== firstPrompt) {
    caveat = `Prompt ${shown.prompt} is not scored: these are prompt ${firstPrompt}'s scores.`;
  } else if (shown.token !== null) {
    const { start, end } = shown.token;
    caveat = `These are the whole answer's scores, not those of ${start === end ? `token ${start}` : `tokens ${start}–${end}`}.`;
  }
  return { scope, caveat };
}
