/**
 * What the viewer shows, given the URL's parameters, the models in the store and the image:
 * defaults filled in and impossible requests turned into the nearest possible view (each such
 * change is reported in `notes`, and the URL is rewritten to the resolved view).
 */
import type { Fusion, ModelInfo } from '../api/types';
import { MAX_COMPARE, MIN_COMPARE, type ViewParams } from './viewParams';

export interface ResolvedView {
  model: ModelInfo;
  method: string;
  /** layers of this method (the pooling head has one) */
  layers: number;
  layer: number;
  /** whether this model/method has per-head maps */
  perHead: boolean;
  head: number | null;
  fusion: Fusion;
  /** models whose maps for this image are complete, in the store's order */
  available: ModelInfo[];
  /** compare mode: the models side by side, reference first (2–6 when possible) */
  compare: ModelInfo[];
  /** what was changed from the request, for the user */
  notes: string[];
}

export type Unresolved =
  | { kind: 'no-models' }
  | { kind: 'not-precomputed'; models: ModelInfo[] }
  | { kind: 'unreadable'; error: string };

export function methodLayers(model: ModelInfo, method: string): number {
  return model.method_layers[method] ?? model.layers;
}

export function hasPerHead(model: ModelInfo, method: string): boolean {
  return model.per_head_methods.includes(method);
}

const DEFAULT_COMPARE = 4;

export function resolveView(
  params: ViewParams,
  models: readonly ModelInfo[],
  image: { models: readonly string[]; error: string | null },
): ResolvedView | Unresolved {
  if (image.error !== null) return { kind: 'unreadable', error: image.error };
  if (models.length === 0) return { kind: 'no-models' };
  const available = models.filter((m) => image.models.includes(m.key));
  if (available.length === 0) return { kind: 'not-precomputed', models: [...models] };
  const notes: string[] = [];

  let model = available.find((m) => m.key === params.model);
  if (model === undefined) {
    model = available[0]!;
    if (params.model !== null) {
      const known = models.some((m) => m.key === params.model);
      notes.push(
        known
          ? `${params.model} has no maps for this image yet; showing ${model.key}`
          : `there is no model '${params.model}' in the store; showing ${model.key}`,
      );
    }
  }

  let method = params.method ?? model.methods[0]!;
  if (!model.methods.includes(method)) {
    const fallback = model.methods[0]!;
    const why = method === 'cls' && !model.has_cls ? `${model.key} has no CLS token` : `${model.key} has no '${method}' maps`;
    notes.push(`${why}; showing ${fallback}`);
    method = fallback;
  }

  const layers = methodLayers(model, method);
  let layer = params.layer ?? layers - 1;
  if (layer > layers - 1) {
    notes.push(`layer ${layer} is out of range for ${model.key}/${method} (0–${layers - 1}); showing ${layers - 1}`);
    layer = layers - 1;
  }

  const perHead = hasPerHead(model, method);
  let head = params.head;
  let fusion = params.fusion;
  if (!perHead) {
    if (head !== null) notes.push(`${model.key}/${method} has no per-head maps; showing all heads fused`);
    if (fusion !== 'mean') notes.push(`fusion=${fusion} needs per-head maps; showing the mean over heads`);
    head = null;
    fusion = 'mean';
  } else if (head !== null && head > model.heads - 1) {
    notes.push(`head ${head} is out of range for ${model.key} (0–${model.heads - 1}); showing all heads fused`);
    head = null;
  }
  if (head !== null) fusion = 'mean';

  const compare: ModelInfo[] = [model];
  for (const key of params.compare) {
    const m = available.find((a) => a.key === key);
    if (m !== undefined && !compare.includes(m) && compare.length < MAX_COMPARE) compare.push(m);
  }
  if (compare.length < MIN_COMPARE) {
    for (const m of available) {
      if (compare.length >= Math.min(DEFAULT_COMPARE, MAX_COMPARE)) break;
      if (!compare.includes(m)) compare.push(m);
    }
  }

  return { model, method, layers, layer, perHead, head, fusion, available, compare, notes };
}

export function isResolved(view: ResolvedView | Unresolved): view is ResolvedView {
  return !('kind' in view);
}

/** `params` with the resolved choices written in: the URL the viewer rewrites itself to. */
export function canonicalParams(params: ViewParams, view: ResolvedView): ViewParams {
  return {
    ...params,
    model: view.model.key,
    method: view.method,
    layer: view.layer,
    head: view.head,
    fusion: view.fusion,
    compare: params.mode === 'compare' ? view.compare.map((m) => m.key) : params.compare,
  };
}
