/**
 * The dashboard's state as URL query parameters, both ways, and what it resolves to:
 *   /dashboard?metric=energy&method=cls&layer=11&label=cat&model=dinov2&cmap=magma
 * Like the viewer's: forgiving parsing (bad values fall back to defaults), canonical serialising
 * (fixed order, defaults left out).
 */
import type { MetricStat, ModelInfo } from '../api/types';
import { isColormap, type ColormapName } from '../lib/colormaps';
import { methodHeads, methodLayers } from './resolveView';

export interface DashboardParams {
  /** metric name; null = the API's default (the first available) */
  metric: string | null;
  /** map method; null = every method of each model on the leaderboard, each model's first in its panels */
  method: string | null;
  /** 0-based layer; null = each model's last (a larger layer is clamped to a model's last) */
  layer: number | null;
  /** annotation label the leaderboard is restricted to; '' = all images */
  label: string;
  /** the model of the per-model panels (heads table, best and worst images); null = the leaderboard's best */
  model: string | null;
  /** colormap of the heat table and the image thumbnails */
  cmap: ColormapName;
}

export const DEFAULT_DASHBOARD: Readonly<DashboardParams> = Object.freeze({
  metric: null,
  method: null,
  layer: null,
  label: '',
  model: null,
  cmap: 'viridis',
});

const KEY = /^[A-Za-z0-9_.-]{1,100}$/;
export const MAX_LABEL = 128;

function parseKey(raw: string | null): string | null {
  const value = raw?.trim() ?? '';
  return KEY.test(value) ? value : null;
}

function parseIndex(raw: string | null): number | null {
  if (raw === null || !/^\d{1,4}$/.test(raw.trim())) return null;
  return Number.parseInt(raw.trim(), 10);
}

export function parseDashboardParams(search: string | URLSearchParams): DashboardParams {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const cmap = q.get('cmap');
  return {
    metric: parseKey(q.get('metric')),
    method: parseKey(q.get('method')),
    layer: parseIndex(q.get('layer')),
    label: (q.get('label') ?? '').trim().slice(0, MAX_LABEL),
    model: parseKey(q.get('model')),
    cmap: cmap !== null && isColormap(cmap) ? cmap : DEFAULT_DASHBOARD.cmap,
  };
}

/** The canonical query string (without `?`). */
export function serializeDashboardParams(p: DashboardParams): string {
  const q = new URLSearchParams();
  if (p.metric !== null) q.set('metric', p.metric);
  if (p.method !== null) q.set('method', p.method);
  if (p.layer !== null) q.set('layer', String(p.layer));
  if (p.label !== '') q.set('label', p.label);
  if (p.model !== null) q.set('model', p.model);
  if (p.cmap !== DEFAULT_DASHBOARD.cmap) q.set('cmap', p.cmap);
  return q.toString();
}

export function dashboardPath(p: Partial<DashboardParams> = {}): string {
  const search = serializeDashboardParams({ ...DEFAULT_DASHBOARD, ...p });
  return `/dashboard${search ? `?${search}` : ''}`;
}

/** Every method of any model, in first-seen order. */
export function allMethods(models: readonly ModelInfo[]): string[] {
  const out: string[] = [];
  for (const m of models) for (const method of m.methods) if (!out.includes(method)) out.push(method);
  return out;
}

/** The most layers a layer choice can name: over the models that have `method` (any method when null). */
export function maxLayers(models: readonly ModelInfo[], method: string | null): number {
  let most = 0;
  for (const m of models) {
    const methods = method === null ? m.methods : m.methods.includes(method) ? [method] : [];
    for (const found of methods) most = Math.max(most, methodLayers(m, found));
  }
  return most;
}

/**
 * The method a model's panels and its layer-progression line use: the chosen one, or the model's
 * first when none is chosen; null when the model lacks the chosen method (SigLIP has no `cls`).
 */
export function panelMethod(model: ModelInfo, method: string | null): string | null {
  if (method === null) return model.methods[0] ?? null;
  return model.methods.includes(method) ? method : null;
}

export interface ResolvedPanels {
  model: ModelInfo;
  /** the method of the per-model panels: the chosen one if the model has it, else its first */
  method: string;
  /** layers of that method (a VLM's vision maps have the vision tower's depth) */
  layers: number;
  /** heads of that method (a VLM's text maps have the language model's, its vision maps the vision tower's) */
  heads: number;
  /** the layer of the best/worst images: the chosen one clamped to the last, or the last */
  layer: number;
  /** what was changed from the request, for the user */
  notes: string[];
}

/**
 * What the per-model panels show: the URL's model if the store has it, else the best model on
 * the leaderboard, else the first model; the method and layer resolved against that model.
 */
export function resolvePanels(
  params: DashboardParams,
  models: readonly ModelInfo[],
  leaderboard: readonly Pick<MetricStat, 'model'>[],
): ResolvedPanels | null {
  if (models.length === 0) return null;
  const notes: string[] = [];
  let model = models.find((m) => m.key === params.model);
  if (model === undefined) {
    const best = leaderboard.map((row) => models.find((m) => m.key === row.model)).find((m) => m !== undefined);
    model = best ?? models[0]!;
    if (params.model !== null) notes.push(`there is no model '${params.model}' in the store; showing ${model.key}`);
  }
  let method = panelMethod(model, params.method);
  if (method === null) {
    method = model.methods[0]!;
    notes.push(`${model.key} has no '${params.method}' maps; its panels show ${method}`);
  }
  const layers = methodLayers(model, method);
  const layer = params.layer === null ? layers - 1 : Math.min(params.layer, layers - 1);
  return { model, method, layers, heads: methodHeads(model, method), layer, notes };
}
