/**
 * A VLM's text tokens in the viewer: which tokens a `text` map is of (one token or an inclusive
 * range; none = the whole answer, the API's default), how clicks, drags, shift-clicks and arrow
 * keys change that choice, the tokens grouped by role for display, and the tint of each token by
 * its image mass (the share of its attention that goes to the image). All pure and unit-tested.
 */
import type { TextToken } from '../api/types';

/** Inclusive, `start <= end` (token indices as in `/tokens`). */
export interface TokenRange {
  start: number;
  end: number;
}

/** The range between two tokens, whichever comes first. */
export function tokenRange(a: number, b: number): TokenRange {
  return a <= b ? { start: a, end: b } : { start: b, end: a };
}

export function sameRange(a: TokenRange | null, b: TokenRange | null): boolean {
  return a === b || (a !== null && b !== null && a.start === b.start && a.end === b.end);
}

/** `12` or `12-30` (a reversed range is put in order); anything else: null. */
export function parseTokenParam(raw: string | null | undefined): TokenRange | null {
  const match = /^\s*(\d{1,6})(?:\s*-\s*(\d{1,6}))?\s*$/.exec(raw ?? '');
  if (match === null) return null;
  const a = Number.parseInt(match[1]!, 10);
  const b = match[2] === undefined ? a : Number.parseInt(match[2], 10);
  return tokenRange(a, b);
}

/** The API's and the URL's form: `12` for one token, `12-30` for a range; null stays null (the answer). */
export function formatTokenParam(range: TokenRange | null): string | null {
  if (range === null) return null;
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/** The range clamped to `count` tokens; null when it starts past the last token. */
export function clampRange(range: TokenRange, count: number): TokenRange | null {
  if (count <= 0 || range.start > count - 1) return null;
  return { start: range.start, end: Math.min(range.end, count - 1) };
}

/** The tokens a map without a `token` parameter averages: every answer token, or all when there is no answer. */
export function defaultTokens(tokens: readonly Pick<TextToken, 'index' | 'role'>[]): number[] {
  const answer = tokens.filter((t) => t.role === 'answer').map((t) => t.index);
  return answer.length > 0 ? answer : tokens.map((t) => t.index);
}

/** Whether token `index` is part of what the map averages. */
export function isSelected(index: number, range: TokenRange | null, defaults: readonly number[]): boolean {
  return range === null ? defaults.includes(index) : index >= range.start && index <= range.end;
}

/* ---------- choosing tokens with the pointer: click, drag, shift-click ---------- */

/**
 * The pointer's choice in progress. `anchor`: where the last click or drag started (a shift-click
 * extends from it); `range`: what is highlighted; `dragging`: the button is down.
 */
export interface PickerState {
  anchor: number | null;
  range: TokenRange | null;
  dragging: boolean;
}

export const IDLE_PICKER: PickerState = Object.freeze({ anchor: null, range: null, dragging: false });

/**
 * Button down on token `index`: a plain press starts a new choice there; with shift, the choice
 * runs from the anchor (or the current selection's start) to `index`.
 */
export function pickerDown(state: PickerState, index: number, shift: boolean, current: TokenRange | null): PickerState {
  if (shift) {
    const anchor = state.anchor ?? current?.start ?? index;
    return { anchor, range: tokenRange(anchor, index), dragging: true };
  }
  return { anchor: index, range: { start: index, end: index }, dragging: true };
}

/** The pointer moves over token `index` with the button down: the range follows it (either direction). */
export function pickerOver(state: PickerState, index: number): PickerState {
  if (!state.dragging || state.anchor === null) return state;
  const range = tokenRange(state.anchor, index);
  return sameRange(range, state.range) ? state : { ...state, range };
}

/** Button up: the choice is made (`commit`, null when nothing was pressed); the anchor stays for a shift-click. */
export function pickerUp(state: PickerState): { state: PickerState; commit: TokenRange | null } {
  if (!state.dragging) return { state, commit: null };
  return { state: { ...state, dragging: false }, commit: state.range };
}

/* ---------- choosing tokens with the keyboard ---------- */

/** The fixed end of a selection being extended: `anchor` when it is one of the selection's ends, else its start. */
export function anchorOf(current: TokenRange, anchor: number | null | undefined): number {
  return anchor !== null && anchor !== undefined && (anchor === current.start || anchor === current.end) ? anchor : current.start;
}

/**
 * ←/→ (`direction` −1/+1) over the tokens in `order` (the visible ones, ascending): the next
 * single token after the selection, or before it. From the whole answer, → picks the first
 * answer token and ← the last. With `extend` (shift), the end away from `anchor` moves instead.
 * Returns the current selection when there is nowhere to go.
 */
export function stepSelection(
  current: TokenRange | null,
  direction: -1 | 1,
  order: readonly number[],
  opts: { extend?: boolean; anchor?: number | null; defaults?: readonly number[] } = {},
): TokenRange | null {
  if (order.length === 0) return current;
  if (current === null) {
    const defaults = (opts.defaults ?? []).filter((i) => order.includes(i));
    const pool = defaults.length > 0 ? defaults : order;
    const index = direction > 0 ? pool[0]! : pool[pool.length - 1]!;
    return { start: index, end: index };
  }
  const after = (i: number) => order.find((o) => o > i);
  const before = (i: number) => [...order].reverse().find((o) => o < i);
  if (opts.extend) {
    const anchor = anchorOf(current, opts.anchor);
    const focus = anchor === current.start ? current.end : current.start;
    const next = direction > 0 ? after(focus) : before(focus);
    return next === undefined ? current : tokenRange(anchor, next);
  }
  const next = direction > 0 ? after(current.end) : before(current.start);
  return next === undefined ? current : { start: next, end: next };
}

/* ---------- display ---------- */

export interface TokenGroup {
  role: string;
  tokens: TextToken[];
}

/** Consecutive tokens of one role together, in order (template, prompt, template, answer, …). */
export function groupTokens(tokens: readonly TextToken[]): TokenGroup[] {
  const groups: TokenGroup[] = [];
  for (const token of tokens) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last.role === token.role) last.tokens.push(token);
    else groups.push({ role: token.role, tokens: [token] });
  }
  return groups;
}

/** A token's text as shown: whitespace visible where it would vanish (newlines, tabs, empty tokens). */
export function displayToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\r?\n/g, '↵').replace(/\t/g, '⇥');
}

/** What a selection is, in words: `token 12 “An”`, `tokens 12–30 (19)`, `the whole answer (40 tokens)`. */
export function describeSelection(range: TokenRange | null, tokens: readonly Pick<TextToken, 'index' | 'text' | 'role'>[]): string {
  if (range === null) {
    const answer = tokens.filter((t) => t.role === 'answer').length;
    return answer > 0 ? `the whole answer (${answer} token${answer === 1 ? '' : 's'})` : `all ${tokens.length} tokens`;
  }
  if (range.start === range.end) {
    const token = tokens.find((t) => t.index === range.start);
    return token === undefined ? `token ${range.start}` : `token ${range.start} “${displayToken(token.text).trim() || displayToken(token.text)}”`;
  }
  return `tokens ${range.start}–${range.end} (${range.end - range.start + 1})`;
}

/** The text of the selected tokens, joined as they were generated. */
export function selectionText(range: TokenRange | null, tokens: readonly Pick<TextToken, 'index' | 'text' | 'role'>[]): string {
  const defaults = defaultTokens(tokens);
  return tokens
    .filter((t) => isSelected(t.index, range, defaults))
    .map((t) => t.text)
    .join('');
}

/* ---------- image mass: how much of a token's attention goes to the image ---------- */

/** Token `token`'s image mass at `layer` (0 when missing or not a number). */
export function massAt(imageMass: readonly (readonly number[])[], token: number, layer: number): number {
  const value = imageMass[token]?.[layer];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * The top of the tint scale at `layer`: the largest image mass of any token there (the scale runs
 * from 0 to it, so the strip shows which tokens look at the image most; the legend gives the value).
 */
export function massScaleMax(imageMass: readonly (readonly number[])[], layer: number): number {
  let most = 0;
  for (let t = 0; t < imageMass.length; t++) most = Math.max(most, massAt(imageMass, t, layer));
  return most;
}

/** Strongest tint (alpha of the tint colour) at the top of the scale; text stays readable over it. */
export const MAX_TINT = 0.75;

/** The tint's alpha for `mass` on a 0…`scaleMax` scale: 0 for none, MAX_TINT at the top, linear between. */
export function massTint(mass: number, scaleMax: number): number {
  if (!(scaleMax > 0) || !Number.isFinite(mass) || mass <= 0) return 0;
  return Math.round(Math.min(1, mass / scaleMax) * MAX_TINT * 1000) / 1000;
}

/** A share as a percentage for labels: `37%`, `0.4%`, `<0.1%`. */
export function formatShare(value: number): string {
  if (!(value > 0)) return '0%';
  const percent = value * 100;
  if (percent < 0.1) return '<0.1%';
  return percent < 10 ? `${Number(percent.toFixed(1))}%` : `${Math.round(percent)}%`;
}
