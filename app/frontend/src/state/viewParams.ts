/**
 * The viewer's state as URL query parameters, both ways. Every view is a link:
 *   /view/<image id>?model=dinov2&method=cls&layer=11&head=3&cmap=magma
 *   /view/<image id>?model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&head=3   (a VLM)
 *   /view/<image id>?model=dinov2-ft&method=cls&layer=11&head=3&vs=base   (a variant beside its base)
 * Parsing is forgiving (a bad or unknown value falls back to the default); serialising is
 * canonical (fixed order, defaults left out), so equal states give equal URLs.
 */
import { FUSIONS, type Fusion } from '../api/types';
import { COLORMAPS, isColormap, type ColormapName } from '../lib/colormaps';
import { isNormMode, type NormMode } from '../lib/normalise';
import { formatTokenParam, parseTokenParam, type TokenRange } from '../lib/tokens';

export const MODES = ['map', 'heads', 'compare'] as const;
export type Mode = (typeof MODES)[number];
export type Interp = 'smooth' | 'crisp';

export const MAX_COMPARE = 6;
export const MIN_COMPARE = 2;

export interface ViewParams {
  /** model key; null = the first model with maps for this image */
  model: string | null;
  /** map method; null = the model's first (cls, or mean without CLS; text for a VLM) */
  method: string | null;
  /** VLM method `text`: index of the model's prompt; null = the first done for this image */
  prompt: number | null;
  /** VLM method `text`: the token (`token=12`) or inclusive range (`token=12-30`); null = the whole answer */
  token: TokenRange | null;
  /** 0-based layer; null = the last */
  layer: number | null;
  /** 0-based head; null = all heads fused with `fusion` */
  head: number | null;
  fusion: Fusion;
  mode: Mode;
  /** mode `map` of a variant: `base` shows base, variant and their signed difference (URL `vs=base`) */
  vs: 'base' | null;
  /** models side by side in compare mode (URL `models=a,b,c`); the first is the reference */
  compare: string[];
  cmap: ColormapName;
  norm: NormMode;
  /** heatmap opacity over the image, 0..1 */
  opacity: number;
  interp: Interp;
  /** draw the annotation boxes */
  boxes: boolean;
}

export const DEFAULT_PARAMS: Readonly<ViewParams> = Object.freeze({
  model: null,
  method: null,
  prompt: null,
  token: null,
  layer: null,
  head: null,
  fusion: 'mean',
  mode: 'map',
  vs: null,
  compare: [],
  cmap: 'viridis',
  norm: 'map',
  opacity: 0.6,
  interp: 'smooth',
  boxes: true,
});

const KEY = /^[A-Za-z0-9_.-]{1,100}$/;

function parseIndex(raw: string | null): number | null {
  if (raw === null || !/^\d{1,6}$/.test(raw.trim())) return null;
  return Number.parseInt(raw.trim(), 10);
}

function parseKey(raw: string | null): string | null {
  const value = raw?.trim() ?? '';
  return KEY.test(value) ? value : null;
}

function parseOpacity(raw: string | null): number {
  if (raw === null || raw.trim() === '') return DEFAULT_PARAMS.opacity;
  const value = Number(raw);
  if (!Number.isFinite(value)) return DEFAULT_PARAMS.opacity;
  return roundOpacity(Math.min(1, Math.max(0, value)));
}

export function roundOpacity(value: number): number {
  return Math.round(value * 100) / 100;
}

export function parseViewParams(search: string | URLSearchParams): ViewParams {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const fusion = q.get('fusion');
  const mode = q.get('mode');
  const cmap = q.get('cmap');
  const norm = q.get('norm');
  const interp = q.get('interp');
  const boxes = q.get('boxes');
  const compare: string[] = [];
  for (const part of (q.get('models') ?? '').split(',')) {
    const key = parseKey(part);
    if (key !== null && !compare.includes(key) && compare.length < MAX_COMPARE) compare.push(key);
  }
  return {
    model: parseKey(q.get('model')),
    method: parseKey(q.get('method')),
    prompt: parseIndex(q.get('prompt')),
    token: parseTokenParam(q.get('token')),
    layer: parseIndex(q.get('layer')),
    head: parseIndex(q.get('head')),
    fusion: fusion !== null && (FUSIONS as readonly string[]).includes(fusion) ? (fusion as Fusion) : 'mean',
    mode: mode !== null && (MODES as readonly string[]).includes(mode) ? (mode as Mode) : 'map',
    vs: q.get('vs')?.trim() === 'base' ? 'base' : null,
    compare,
    cmap: cmap !== null && isColormap(cmap) ? cmap : DEFAULT_PARAMS.cmap,
    norm: norm !== null && isNormMode(norm) ? norm : DEFAULT_PARAMS.norm,
    opacity: parseOpacity(q.get('opacity')),
    interp: interp === 'crisp' ? 'crisp' : 'smooth',
    boxes: boxes === null ? true : !['0', 'false', 'off', 'no'].includes(boxes.toLowerCase()),
  };
}

/** The canonical query string (without `?`): fixed order, defaults left out. */
export function serializeViewParams(p: ViewParams): string {
  const q = new URLSearchParams();
  if (p.model !== null) q.set('model', p.model);
  if (p.method !== null) q.set('method', p.method);
  if (p.prompt !== null) q.set('prompt', String(p.prompt));
  if (p.token !== null) q.set('token', formatTokenParam(p.token)!);
  if (p.layer !== null) q.set('layer', String(p.layer));
  if (p.head !== null) q.set('head', String(p.head));
  else if (p.fusion !== 'mean') q.set('fusion', p.fusion);
  if (p.mode !== 'map') q.set('mode', p.mode);
  else if (p.vs !== null) q.set('vs', p.vs);
  if (p.mode === 'compare' && p.compare.length > 0) q.set('models', p.compare.join(','));
  if (p.cmap !== DEFAULT_PARAMS.cmap) q.set('cmap', p.cmap);
  if (p.norm !== DEFAULT_PARAMS.norm) q.set('norm', p.norm);
  if (p.opacity !== DEFAULT_PARAMS.opacity) q.set('opacity', String(roundOpacity(p.opacity)));
  if (p.interp !== DEFAULT_PARAMS.interp) q.set('interp', p.interp);
  if (!p.boxes) q.set('boxes', '0');
  return q.toString().replace(/%2C/g, ',');
}

export function sameParams(a: ViewParams, b: ViewParams): boolean {
  return serializeViewParams(a) === serializeViewParams(b);
}

export function viewPath(imageId: string, p: Partial<ViewParams> = {}): string {
  const search = serializeViewParams({ ...DEFAULT_PARAMS, ...p });
  return `/view/${encodeURIComponent(imageId)}${search ? `?${search}` : ''}`;
}

export { COLORMAPS };
