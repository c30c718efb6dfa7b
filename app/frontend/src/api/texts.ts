/**
 * The `/texts` routes (text language models): bodies, URLs, fetchers and react-query hooks.
 * Bodies mirror app/backend/schemas_texts.py (generated into schema.gen.ts by `npm run types`).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { decodeFloat16 } from '../lib/float16';
import { getJson, query, request } from './client';
import type { components } from './schema.gen';
import type { ModelInfo } from './types';

type Schemas = components['schemas'];
export type TextSummary = Schemas['TextSummary'];
export type TextPage = Schemas['TextPage'];
export type TextToken = Schemas['TextTokenBody'];
export type TextDetail = Schemas['TextDetail'];
export type TextRow = Omit<Schemas['TextRowBody'], 'head'> & { head: number | null };
export type HeadStat = Schemas['HeadStatBody'];
export type TextStats = Schemas['TextStatsBody'];
export type TextReceived = Omit<Schemas['TextReceivedBody'], 'head'> & { head: number | null };
export type PatternLabel = HeadStat['label'];

/** Whether a model has image maps (the gallery, viewer and dashboard) rather than texts (`kind` lm: the Texts section). */
export const isImageModel = (m: Pick<ModelInfo, 'kind'>) => m.kind !== 'lm';

/** One layer of one text: `head` null = fused over heads. */
export interface TextSlice {
  model: string;
  textId: string;
  layer: number;
  head: number | null;
}

/** A pooled tile of the token × token matrix: queries [q0, q1) × keys [k0, k1), `block` tokens a cell. */
export interface TileQuery extends TextSlice {
  block: number;
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

export interface Tile {
  rows: number;
  cols: number;
  values: Float32Array;
}

const enc = encodeURIComponent;

export const textUrls = {
  list: (p: { model?: string; category?: string; q?: string; limit?: number; offset?: number }) =>
    `/texts${query({ model: p.model, category: p.category, q: p.q, limit: p.limit, offset: p.offset })}`,
  text: (model: string, textId: string) => `/texts/${enc(textId)}${query({ model })}`,
  row: (s: TextSlice, queryToken: number) =>
    `/texts/${enc(s.textId)}/row${query({ model: s.model, layer: s.layer, head: s.head, query: queryToken })}`,
  received: (s: TextSlice) => `/texts/${enc(s.textId)}/received${query({ model: s.model, layer: s.layer, head: s.head })}`,
  stats: (model: string, textId: string) => `/texts/${enc(textId)}/stats${query({ model })}`,
  matrix: (t: TileQuery, reduce: 'mean' | 'max' = 'max') =>
    `/texts/${enc(t.textId)}/matrix` +
    query({ model: t.model, layer: t.layer, head: t.head, block: t.block, q0: t.q0, q1: t.q1, k0: t.k0, k1: t.k1, reduce, format: 'f16' }),
};

export const textApi = {
  list: (p: Parameters<typeof textUrls.list>[0], signal?: AbortSignal) => getJson<TextPage>(textUrls.list(p), signal),
  text: (model: string, textId: string, signal?: AbortSignal) => getJson<TextDetail>(textUrls.text(model, textId), signal),
  row: (s: TextSlice, queryToken: number, signal?: AbortSignal) => getJson<TextRow>(textUrls.row(s, queryToken), signal),
  received: (s: TextSlice, signal?: AbortSignal) => getJson<TextReceived>(textUrls.received(s), signal),
  stats: (model: string, textId: string, signal?: AbortSignal) => getJson<TextStats>(textUrls.stats(model, textId), signal),
  async tile(t: TileQuery, signal?: AbortSignal): Promise<Tile> {
    const { rows, cols, bytes } = await textApi.tileBytes(t, signal);
    return { rows, cols, values: decodeFloat16(bytes, { count: rows * cols }) };
  },
  /** The tile's raw little-endian float16 body (the matrix view decodes it in a worker). */
  async tileBytes(t: TileQuery, signal?: AbortSignal): Promise<{ rows: number; cols: number; bytes: ArrayBuffer }> {
    const response = await request(textUrls.matrix(t), signal);
    const [rows, cols] = (response.headers.get('X-Shape') ?? '0,0').split(',').map(Number) as [number, number];
    return { rows, cols, bytes: await response.arrayBuffer() };
  },
};

/** Stored texts never change for a given store; a rerun of precompute is picked up within this time. */
const TEXT_STALE_MS = 5 * 60_000;

export const textKeys = {
  list: (model: string) => ['texts', model] as const,
  text: (model: string, textId: string) => ['text', model, textId] as const,
  row: (s: TextSlice, q: number) => ['text-row', s.model, s.textId, s.layer, s.head, q] as const,
  received: (s: TextSlice) => ['text-received', s.model, s.textId, s.layer, s.head] as const,
  stats: (model: string, textId: string) => ['text-stats', model, textId] as const,
  tile: (t: TileQuery) => ['text-tile', t.model, t.textId, t.layer, t.head, t.block, t.q0, t.k0] as const,
};

export function useTexts(model: string | null) {
  return useQuery({
    queryKey: textKeys.list(model ?? ''),
    queryFn: ({ signal }) => textApi.list({ model: model ?? undefined, limit: 500 }, signal),
    enabled: model !== null,
    staleTime: 10_000,
  });
}

export function useText(model: string | null, textId: string | null) {
  return useQuery({
    queryKey: textKeys.text(model ?? '', textId ?? ''),
    queryFn: ({ signal }) => textApi.text(model!, textId!, signal),
    enabled: model !== null && textId !== null,
    staleTime: TEXT_STALE_MS,
  });
}

export function useTextRow(s: TextSlice | null, queryToken: number | null) {
  return useQuery({
    queryKey: s === null || queryToken === null ? ['text-row', 'none'] : textKeys.row(s, queryToken),
    queryFn: ({ signal }) => textApi.row(s!, queryToken!, signal),
    enabled: s !== null && queryToken !== null,
    staleTime: TEXT_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useTextReceived(s: TextSlice | null) {
  return useQuery({
    queryKey: s === null ? ['text-received', 'none'] : textKeys.received(s),
    queryFn: ({ signal }) => textApi.received(s!, signal),
    enabled: s !== null,
    staleTime: TEXT_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

export function useTextStats(model: string | null, textId: string | null) {
  return useQuery({
    queryKey: textKeys.stats(model ?? '', textId ?? ''),
    queryFn: ({ signal }) => textApi.stats(model!, textId!, signal),
    enabled: model !== null && textId !== null,
    staleTime: TEXT_STALE_MS,
  });
}
