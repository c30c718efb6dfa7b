/**
 * The Texts section's view state and its URL form:
 * `/text?model=qwen3&open=a&open=b&text=a&layer=3&head=2&token=12&mode=received&view=matrix&compare=smollm2`.
 * Everything a user chose is in the URL, so a link reopens the same tabs, token and head.
 */

export type TextMode = 'pays' | 'received';
export type TextView = 'flow' | 'matrix' | 'stats';

export interface TextParams {
  model: string | null;
  /** the open tabs, in order */
  open: string[];
  /** the tab shown */
  text: string | null;
  /** null = the last layer */
  layer: number | null;
  /** null = fused over heads */
  head: number | null;
  /** the selected (query) token */
  token: number | null;
  mode: TextMode;
  view: TextView;
  /** a second model shown beside the first on the same text */
  compare: string | null;
}

export const DEFAULT_TEXT_PARAMS: TextParams = {
  model: null,
  open: [],
  text: null,
  layer: null,
  head: null,
  token: null,
  mode: 'pays',
  view: 'flow',
  compare: null,
};

const MODES: readonly TextMode[] = ['pays', 'received'];
const VIEWS: readonly TextView[] = ['flow', 'matrix', 'stats'];

function index(value: string | null): number | null {
  if (value === null || !/^\d{1,9}$/.test(value)) return null;
  return Number(value);
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function parseTextParams(search: string): TextParams {
  const p = new URLSearchParams(search);
  const open = [...new Set(p.getAll('open').filter((id) => id !== ''))];
  const asked = p.get('text');
  const text = asked !== null && asked !== '' ? asked : (open[0] ?? null);
  if (text !== null && !open.includes(text)) open.push(text);
  return {
    model: p.get('model') || null,
    open,
    text,
    layer: index(p.get('layer')),
    head: index(p.get('head')),
    token: index(p.get('token')),
    mode: oneOf(p.get('mode'), MODES, 'pays'),
    view: oneOf(p.get('view'), VIEWS, 'flow'),
    compare: p.get('compare') || null,
  };
}

export function serializeTextParams(params: TextParams): string {
  const p = new URLSearchParams();
  if (params.model !== null) p.set('model', params.model);
  for (const id of params.open) p.append('open', id);
  if (params.text !== null && params.text !== params.open[0]) p.set('text', params.text);
  if (params.layer !== null) p.set('layer', String(params.layer));
  if (params.head !== null) p.set('head', String(params.head));
  if (params.token !== null) p.set('token', String(params.token));
  if (params.mode !== 'pays') p.set('mode', params.mode);
  if (params.view !== 'flow') p.set('view', params.view);
  if (params.compare !== null) p.set('compare', params.compare);
  return p.toString();
}

/** Open `textId` in a tab (or show it if open) and make it the shown one; the token resets. */
export function openText(params: TextParams, textId: string): Partial<TextParams> {
  const open = params.open.includes(textId) ? params.open : [...params.open, textId];
  return { open, text: textId, token: params.text === textId ? params.token : null };
}

/** Close a tab; the shown text moves to its neighbour. */
export function closeText(params: TextParams, textId: string): Partial<TextParams> {
  const at = params.open.indexOf(textId);
  const open = params.open.filter((id) => id !== textId);
  if (params.text !== textId) return { open };
  const next = open[Math.min(Math.max(at, 0), open.length - 1)] ?? null;
  return { open, text: next, token: null };
}
