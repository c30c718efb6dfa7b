/**
 * What the viewer shows, given the URL's parameters, the models in the store and the image:
 * defaults filled in and impossible requests turned into the nearest possible view (each such
 * change is reported in `notes`, and the URL is rewritten to the resolved view).
 */
import { ApiError } from '../api/client';
import type { Fusion, ModelInfo, TokensBody, TokensQuery } from '../api/types';
import { clampRange, formatTokenParam, sameRange, type TokenRange } from '../lib/tokens';
import { isVariant, storedBase } from '../lib/variants';
import { resolveTarget } from './targets';
import { MAX_COMPARE, MIN_COMPARE, type ViewParams } from './viewParams';

export interface ResolvedView {
  model: ModelInfo;
  method: string;
  /** layers of this method (the pooling head has one) */
  layers: number;
  layer: number;
  /** whether this model/method has per-head maps */
  perHead: boolean;
  /** heads of this method (a VLM's vision tower has its own) */
  heads: number;
  head: number | null;
  fusion: Fusion;
  /** method `text`: the prompt's index; null for other methods */
  prompt: number | null;
  /** whether `prompt` was checked against the prompts done for this image (the token list is loaded) */
  promptChecked: boolean;
  /** method `text`: the token or range; null = the whole answer (and for other methods) */
  token: TokenRange | null;
  /** models whose maps for this image are complete, in the store's order */
  available: ModelInfo[];
  /** compare mode: the models side by side, reference first (2–6 when possible) */
  compare: ModelInfo[];
  /** a variant's stored base when it has maps for this image and this method (null otherwise) */
  base: ModelInfo | null;
  /** "vs base": base, variant and their difference side by side (needs `base`) */
  vs: boolean;
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

/** Heads of `method`: a VLM's text maps have the language model's, its vision maps the vision tower's. */
export function methodHeads(model: ModelInfo, method: string): number {
  return model.method_heads?.[method] ?? model.heads;
}

export function isVlm(model: ModelInfo): boolean {
  return model.kind === 'vlm';
}

/**
 * What the image's token list says (VLM method `text`), once it is loaded: the prompts done for
 * this image and the number of text tokens of the shown prompt (null while unknown).
 */
export interface TextContext {
  prompts: readonly number[] | null;
  count: number | null;
}

/**
 * The text context of a `/tokens` answer for `q`: from its body (the image's prompts and the
 * token count), or from a 400 for a prompt that was not run on this image (its `allowed` prompts);
 * null while nothing is known — or while the body on hand is another prompt's.
 */
export function textContextOf(q: Pick<TokensQuery, 'imageId' | 'model' | 'prompt'> | null, data: TokensBody | undefined, error: unknown): TextContext | null {
  if (q === null) return null;
  if (data !== undefined && data.image_id === q.imageId && data.model === q.model && data.prompt === q.prompt) {
    return { prompts: data.prompts.map((p) => p.index), count: data.tokens.length };
  }
  if (error instanceof ApiError && error.parameter === 'prompt' && Array.isArray(error.allowed)) {
    const allowed = (error.allowed as unknown[]).filter((n): n is number => typeof n === 'number' && Number.isInteger(n));
    if (allowed.length > 0) return { prompts: allowed, count: null };
  }
  return null;
}

const DEFAULT_COMPARE = 4;

export function resolveView(
  params: ViewParams,
  models: readonly ModelInfo[],
  image: { models: readonly string[]; error: string | null },
  text: TextContext | null = null,
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
  const heads = methodHeads(model, method);
  let head = params.head;
  let fusion = params.fusion;
  if (!perHead) {
    if (head !== null) notes.push(`${model.key}/${method} has no per-head maps; showing all heads fused`);
    if (fusion !== 'mean') notes.push(`fusion=${fusion} needs per-head maps; showing the mean over heads`);
    head = null;
    fusion = 'mean';
  } else if (head !== null && head > heads - 1) {
    const what = heads === model.heads ? model.key : `${model.key}/${method}`;
    notes.push(`head ${head} is out of range for ${what} (0–${heads - 1}); showing all heads fused`);
    head = null;
  }
  if (head !== null) fusion = 'mean';

  let prompt: number | null = null;
  let promptChecked = false;
  let token: TokenRange | null = null;
  if (method === 'text') {
    const known = model.prompts ?? [];
    const done = text?.prompts != null && text.prompts.length > 0 ? text.prompts : null;
    const first = done?.[0] ?? 0;
    prompt = params.prompt ?? first;
    if (known.length > 0 && prompt > known.length - 1) {
      notes.push(`${model.key} has no prompt ${prompt} (0–${known.length - 1}); showing prompt ${first}`);
      prompt = first;
    } else if (done !== null && !done.includes(prompt)) {
      notes.push(`prompt ${prompt} was not run on this image; showing prompt ${first}`);
      prompt = first;
    }
    promptChecked = done !== null;
    token = params.token;
    const count = text?.count ?? null;
    if (token !== null && count !== null) {
      const clamped = clampRange(token, count);
      if (clamped === null) {
        notes.push(`token ${formatTokenParam(token)} is out of range (this prompt has tokens 0–${count - 1}); showing the whole answer`);
      } else if (!sameRange(clamped, token)) {
        notes.push(`tokens ${formatTokenParam(token)} run past the last token (${count - 1}); showing ${formatTokenParam(clamped)}`);
      }
      token = clamped;
    }
  } else if (method === 'gradrollout') {
    ({ prompt, promptChecked } = resolveTarget(model, params.prompt, notes));
    if (params.token !== null) notes.push(`${model.key}/gradrollout has one map per prompt or target; the token choice is ignored`);
  } else if (params.prompt !== null || params.token !== null) {
    notes.push(`prompt and token choose text tokens of a VLM's text → image maps; ${model.key}/${method} has none`);
  }

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

  const base = baseFor(model, method, models, available);
  let vs = false;
  if (params.mode === 'map' && params.vs === 'base') {
    if (base !== null) vs = true;
    else notes.push(noBaseNote(model, method, models, available));
  }

  return { model, method, layers, layer, perHead, heads, head, fusion, prompt, promptChecked, token, available, compare, base, vs, notes };
}

/** The variant's stored base, if it has maps for this image and `method`. */
function baseFor(model: ModelInfo, method: string, models: readonly ModelInfo[], available: readonly ModelInfo[]): ModelInfo | null {
  const base = storedBase(model, models);
  return base !== null && available.includes(base) && base.methods.includes(method) ? base : null;
}

function noBaseNote(model: ModelInfo, method: string, models: readonly ModelInfo[], available: readonly ModelInfo[]): string {
  const base = storedBase(model, models);
  const why = !isVariant(model)
    ? `${model.key} is not a variant of another model`
    : base === null
      ? `${model.key}'s base ${model.base_key} is not in the store`
      : !available.includes(base)
        ? `${base.key} (the base of ${model.key}) has no maps for this image yet`
        : `${base.key} (the base of ${model.key}) has no '${method}' maps`;
  return `${why}: nothing to compare with; showing ${model.key} alone`;
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
    // the prompt is written once checked against the image's prompts (or when the URL named one)
    prompt: view.promptChecked || params.prompt !== null ? view.prompt : null,
    token: view.token,
    layer: view.layer,
    head: view.head,
    fusion: view.fusion,
    compare: params.mode === 'compare' ? view.compare.map((m) => m.key) : params.compare,
    vs: params.mode === 'map' && view.vs ? 'base' : null,
  };
}
