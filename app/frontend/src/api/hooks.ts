/** react-query hooks: the server state of the app (models, images, maps), cached and prefetched. */
import { keepPreviousData, useQueries, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { precomputeCommand } from '../lib/commands';
import { api, ApiError, textParams } from './client';
import type { HeadsQuery, ImageRankingQuery, LeaderboardQuery, MapQuery, ModelMetricQuery, ShiftMetricsQuery, ShiftQuery, TokensQuery } from './types';

/** Maps never change for a given store; a rerun of precompute is picked up within this time. */
const MAP_STALE_MS = 5 * 60_000;

export const keys = {
  models: ['models'] as const,
  served: ['served'] as const,
  images: (q: string, page: number, pageSize: number) => ['images', q, page, pageSize] as const,
  image: (imageId: string) => ['image', imageId] as const,
  map: (q: MapQuery) => {
    const text = textParams(q.method, q);
    return ['map', q.imageId, q.model, q.method, q.layer, q.head, q.head === null ? q.fusion : null, text.prompt, text.token] as const;
  },
  heads: (q: HeadsQuery) => {
    const text = textParams(q.method, q);
    return ['heads', q.imageId, q.model, q.method, q.layer, text.prompt, text.token] as const;
  },
  shift: (q: ShiftQuery) => ['shift', q.base, ...keys.map(q)] as const,
  shiftMetrics: (q: ShiftMetricsQuery) => ['metrics', 'shift', q.model, q.base, q.method] as const,
  tokens: (q: TokensQuery) => ['tokens', q.imageId, q.model, q.prompt, q.head] as const,
  leaderboard: (q: LeaderboardQuery) => ['metrics', 'leaderboard', q.metric, q.method, q.layer, q.label] as const,
  layerProgression: (q: ModelMetricQuery) => ['metrics', 'layers', q.model, q.metric, q.method, q.label ?? ''] as const,
  headRanking: (q: ModelMetricQuery) => ['metrics', 'heads', q.model, q.metric, q.method] as const,
  imageRanking: (q: ImageRankingQuery) => ['metrics', 'images', q.model, q.metric, q.method, q.layer, q.head, q.label ?? ''] as const,
  imageMetrics: (imageId: string) => ['metrics', 'image', imageId] as const,
};

/** Metrics change only when `precompute --metrics` runs again; picked up within this time. */
const METRICS_STALE_MS = 60_000;

/** Retry network trouble twice and a 503 (store or catalog unreadable) once; 4xx answers are final. */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  if (error instanceof ApiError && error.status === 503) return failures < 1;
  return failures < 2;
}

export function useModels() {
  return useQuery({ queryKey: keys.models, queryFn: ({ signal }) => api.models(signal), staleTime: 10_000 });
}

/** What the server serves (asked once: it changes only when the server restarts). */
export function useServed() {
  return useQuery({ queryKey: keys.served, queryFn: ({ signal }) => api.served(signal), staleTime: Infinity, retry: shouldRetry });
}

/** `precompute <args>` for the gallery, store and catalog this server serves. */
export function usePrecomputeCommand(args: string): string {
  return precomputeCommand(useServed().data, args);
}

export function useImages(q: string, page: number, pageSize: number) {
  return useQuery({
    queryKey: keys.images(q, page, pageSize),
    queryFn: ({ signal }) => api.images({ limit: pageSize, offset: page * pageSize, q: q || undefined }, signal),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
}

export function prefetchImages(client: QueryClient, q: string, page: number, pageSize: number) {
  return client.prefetchQuery({
    queryKey: keys.images(q, page, pageSize),
    queryFn: ({ signal }) => api.images({ limit: pageSize, offset: page * pageSize, q: q || undefined }, signal),
    staleTime: 10_000,
  });
}

export function useImage(imageId: string | null, enabled = true) {
  return useQuery({
    queryKey: keys.image(imageId ?? ''),
    queryFn: ({ signal }) => api.image(imageId!, signal),
    enabled: enabled && imageId !== null,
    staleTime: 30_000,
  });
}

/** A VLM's text tokens and their image mass (per head, or fused); the previous stay while the next load. */
export function useTokens(q: TokensQuery | null) {
  return useQuery({
    queryKey: keys.tokens(q ?? { imageId: '', model: '', prompt: 0, head: null }),
    queryFn: ({ signal }) => api.tokens(q!, signal),
    enabled: q !== null,
    staleTime: MAP_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

function mapOptions(q: MapQuery) {
  return {
    queryKey: keys.map(q),
    queryFn: ({ signal }: { signal: AbortSignal }) => api.map(q, signal),
    staleTime: MAP_STALE_MS,
  };
}

function headsOptions(q: HeadsQuery) {
  return {
    queryKey: keys.heads(q),
    queryFn: ({ signal }: { signal: AbortSignal }) => api.heads(q, signal),
    staleTime: MAP_STALE_MS,
  };
}

/** One map; while a new one loads, the previous stays on screen (no flash). */
export function useMap(q: MapQuery | null) {
  return useQuery({
    ...mapOptions(q ?? { imageId: '', model: '', method: '', layer: 0, head: null, fusion: 'mean' }),
    enabled: q !== null,
    placeholderData: keepPreviousData,
  });
}

export function useHeads(q: HeadsQuery | null) {
  return useQuery({
    ...headsOptions(q ?? { imageId: '', model: '', method: '', layer: 0 }),
    enabled: q !== null,
    placeholderData: keepPreviousData,
  });
}

/**
 * Prefetch what the next key press will show: the neighbouring layers (±1, ±2) and heads of this
 * map, with `wholeDepth` every layer (for play), and with `tokens` (a VLM text map of one token:
 * the token count) the neighbouring tokens. Cached maps re-render in the same frame.
 */
export function usePrefetchNeighbours(
  q: MapQuery | null,
  opts: { layers: number; heads: number | null; wholeDepth: boolean; headsOfLayer: boolean; tokens?: number | null },
) {
  const client = useQueryClient();
  const { layers, heads, wholeDepth, headsOfLayer } = opts;
  const tokens = opts.tokens ?? null;
  // by value: a new object with the same fields must not prefetch again
  const key = q === null ? null : JSON.stringify(q);
  useEffect(() => {
    if (key === null) return;
    const q = JSON.parse(key) as MapQuery;
    const wanted: MapQuery[] = [];
    const layerSteps = wholeDepth ? Array.from({ length: layers }, (_, l) => l - q.layer) : [1, -1, 2, -2];
    for (const step of layerSteps) {
      const layer = q.layer + step;
      if (step !== 0 && layer >= 0 && layer < layers) wanted.push({ ...q, layer });
    }
    if (heads !== null && heads > 0) {
      const current = q.head ?? -1;
      for (const next of [current + 1, current - 1]) {
        if (next >= 0 && next < heads) wanted.push({ ...q, head: next, fusion: 'mean' });
        if (next === -1) wanted.push({ ...q, head: null });
      }
    }
    const token = q.method === 'text' && q.token != null && /^\d+$/.test(q.token) ? Number(q.token) : null;
    if (token !== null && tokens !== null) {
      for (const next of [token + 1, token - 1]) if (next >= 0 && next < tokens) wanted.push({ ...q, token: String(next) });
    }
    for (const item of wanted) void client.prefetchQuery(mapOptions(item));
    if (headsOfLayer) {
      for (const layer of [q.layer, q.layer + 1, q.layer - 1]) {
        if (layer >= 0 && layer < layers) void client.prefetchQuery(headsOptions({ ...q, layer }));
      }
    }
  }, [client, key, layers, heads, wholeDepth, headsOfLayer, tokens]);
}

/* ---------- metrics ---------- */

export function useLeaderboard(q: LeaderboardQuery) {
  return useQuery({
    queryKey: keys.leaderboard(q),
    queryFn: ({ signal }) => api.leaderboard(q, signal),
    staleTime: METRICS_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

function layerProgressionOptions(q: ModelMetricQuery) {
  return {
    queryKey: keys.layerProgression(q),
    queryFn: ({ signal }: { signal: AbortSignal }) => api.layerProgression(q, signal),
    staleTime: METRICS_STALE_MS,
  };
}

/** The fused maps' score at every layer, for several models at once (one request per model). */
export function useLayerProgressions(queries: readonly ModelMetricQuery[]) {
  return useQueries({ queries: queries.map((q) => ({ ...layerProgressionOptions(q), placeholderData: keepPreviousData })) });
}

export function useHeadRanking(q: ModelMetricQuery | null) {
  return useQuery({
    queryKey: keys.headRanking(q ?? { model: '', metric: null, method: null }),
    queryFn: ({ signal }) => api.headRanking(q!, signal),
    enabled: q !== null,
    staleTime: METRICS_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

export function imageRankingOptions(q: ImageRankingQuery) {
  return {
    queryKey: keys.imageRanking(q),
    queryFn: ({ signal }: { signal: AbortSignal }) => api.imageRanking(q, signal),
    staleTime: METRICS_STALE_MS,
  };
}

export function useImageRanking(q: ImageRankingQuery | null) {
  return useQuery({
    ...imageRankingOptions(q ?? { model: '', metric: null, method: null, layer: null, head: null }),
    enabled: q !== null,
    placeholderData: keepPreviousData,
  });
}

/** Every metric of one image, per head too; `enabled` false for images without boxes (nothing to score). */
export function useImageMetrics(imageId: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.imageMetrics(imageId),
    queryFn: ({ signal }) => api.imageMetrics(imageId, signal),
    enabled,
    staleTime: METRICS_STALE_MS,
  });
}

/** Several images' details at once (labels of the dashboard's best and worst images). */
export function useImageDetails(imageIds: readonly string[]) {
  return useQueries({
    queries: imageIds.map((imageId) => ({
      queryKey: keys.image(imageId),
      queryFn: ({ signal }: { signal: AbortSignal }) => api.image(imageId, signal),
      staleTime: 30_000,
    })),
  });
}

/* ---------- variants ---------- */

/** A variant's map minus its base's; the previous difference stays on screen while the next loads. */
export function useShift(q: ShiftQuery | null) {
  return useQuery({
    queryKey: keys.shift(q ?? { imageId: '', model: '', base: '', method: '', layer: 0, head: null, fusion: 'mean' }),
    queryFn: ({ signal }) => api.shift(q!, signal),
    enabled: q !== null,
    staleTime: MAP_STALE_MS,
    placeholderData: keepPreviousData,
  });
}

/** How far a variant moved from its base, per layer × head, and the images that moved most. */
export function useShiftMetrics(q: ShiftMetricsQuery | null) {
  return useQuery({
    queryKey: keys.shiftMetrics(q ?? { model: '', base: '', method: '' }),
    queryFn: ({ signal }) => api.shiftMetrics(q!, signal),
    enabled: q !== null,
    staleTime: METRICS_STALE_MS,
    placeholderData: keepPreviousData,
  });
}
