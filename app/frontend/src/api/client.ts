/** A typed client of the HTTP API: same origin in production, proxied by Vite in development. */
import { decodeFloat16 } from '../lib/float16';
import { rangeOf } from '../lib/normalise';
import type {
  GridMap,
  HeadMaps,
  HeadRanking,
  HeadsQuery,
  Health,
  HeatmapPngQuery,
  ImageDetail,
  ImageMetrics,
  ImagePage,
  ImageRanking,
  ImageRankingQuery,
  LayerProgression,
  Leaderboard,
  LeaderboardQuery,
  MapQuery,
  ModelList,
  ModelMetricQuery,
  Served,
  ShiftMap,
  ShiftMetrics,
  ShiftMetricsQuery,
  ShiftQuery,
  TextSelection,
  TokensBody,
  TokensQuery,
} from './types';

/** A non-2xx answer: `message` is the API's readable line; `status` 0 means no answer at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly parameter: string | null;
  readonly allowed: unknown;

  constructor(status: number, message: string, parameter: string | null = null, allowed: unknown = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.parameter = parameter;
    this.allowed = allowed;
  }
}

const BASE = '';

/** `fetch` of an API path; a non-2xx answer throws an ApiError with the API's message (`init`: method, body, headers). */
export async function request(path: string, signal?: AbortSignal, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(BASE + path, { ...init, signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, `the API cannot be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    let parameter: string | null = null;
    let allowed: unknown = null;
    try {
      const body = (await response.json()) as { message?: unknown; parameter?: unknown; allowed?: unknown };
      if (typeof body.message === 'string') message = body.message;
      if (typeof body.parameter === 'string') parameter = body.parameter;
      allowed = body.allowed ?? null;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message, parameter, allowed);
  }
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, signal)).json()) as T;
}

export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const id = (imageId: string) => encodeURIComponent(imageId);

/**
 * `prompt` and `token` for method `text` (a VLM's text→image maps); `prompt` alone for `gradrollout`
 * (a VLM's prompt, whose map explains one answer token chosen by precompute; a ViT's target: an index
 * into the model's `prompts`); other methods take neither.
 */
export function textParams(method: string, q: TextSelection): { prompt: number | null; token: string | null } {
  if (method === 'gradrollout') return { prompt: q.prompt ?? null, token: null };
  if (method !== 'text') return { prompt: null, token: null };
  return { prompt: q.prompt ?? null, token: q.token ?? null };
}

export const urls = {
  imageFile: (imageId: string) => `${BASE}/images/${id(imageId)}/file`,
  thumbnail: (imageId: string, size = 320) => `${BASE}/images/${id(imageId)}/thumbnail?size=${size}`,
  /** The raw slice; `format` json (default) or f16. */
  raw: (q: MapQuery, format: 'json' | 'f16' = 'json') =>
    `${BASE}/attention/${id(q.imageId)}/raw` +
    query({
      model: q.model,
      method: q.method,
      ...textParams(q.method, q),
      layer: q.layer,
      head: q.head,
      fusion: q.head === null && q.fusion !== 'mean' ? q.fusion : null,
      format: format === 'json' ? null : format,
    }),
  /** A variant's map minus its base's (`model − base`), on the same grid; `format` json (default) or f16. */
  shift: (q: ShiftQuery, format: 'json' | 'f16' = 'json') =>
    `${BASE}/attention/${id(q.imageId)}/shift` +
    query({
      model: q.model,
      base: q.base,
      method: q.method,
      ...textParams(q.method, q),
      layer: q.layer,
      head: q.head,
      fusion: q.head === null && q.fusion !== 'mean' ? q.fusion : null,
      format: format === 'json' ? null : format,
    }),
  heads: (q: HeadsQuery, format: 'json' | 'f16' = 'json') =>
    `${BASE}/attention/${id(q.imageId)}/heads` +
    query({ model: q.model, method: q.method, ...textParams(q.method, q), layer: q.layer, format: format === 'json' ? null : format }),
  /** A VLM's text tokens after the image (prompt and answer) and their image mass per layer. */
  tokens: (q: TokensQuery) => `${BASE}/attention/${id(q.imageId)}/tokens` + query({ model: q.model, prompt: q.prompt, head: q.head }),
  /** The map drawn over the image by the API (a thumbnail for the dashboard's best/worst images). */
  heatmapPng: (q: HeatmapPngQuery) =>
    `${BASE}/attention/${id(q.imageId)}/heatmap.png` +
    query({
      model: q.model,
      method: q.method,
      ...textParams(q.method, q),
      layer: q.layer,
      head: q.head,
      size: q.size,
      colormap: q.colormap === 'viridis' ? null : q.colormap,
      boxes: q.boxes ? 'true' : null,
    }),
  metrics: {
    leaderboard: (q: LeaderboardQuery) =>
      `${BASE}/metrics/leaderboard` + query({ metric: q.metric, method: q.method, layer: q.layer, label: q.label }),
    layers: (q: ModelMetricQuery) =>
      `${BASE}/metrics/model/${id(q.model)}/layers` + query({ metric: q.metric, method: q.method, label: q.label || null }),
    heads: (q: ModelMetricQuery) => `${BASE}/metrics/model/${id(q.model)}/heads` + query({ metric: q.metric, method: q.method }),
    images: (q: ImageRankingQuery) =>
      `${BASE}/metrics/model/${id(q.model)}/images` +
      query({ metric: q.metric, method: q.method, layer: q.layer, head: q.head, label: q.label || null }),
    shift: (q: ShiftMetricsQuery) => `${BASE}/metrics/shift` + query({ model: q.model, base: q.base, method: q.method }),
    image: (imageId: string, heads = true) => `${BASE}/metrics/${id(imageId)}` + query({ heads: heads ? 'true' : null }),
  },
};

function parseShape(header: string | null, expectedDims: number): number[] {
  const shape = (header ?? '').split(',').map((s) => Number.parseInt(s.trim(), 10));
  if (shape.length !== expectedDims || shape.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new ApiError(0, `unexpected X-Shape header ${JSON.stringify(header)} (want ${expectedDims} numbers)`);
  }
  return shape;
}

function headerNumber(response: Response, name: string, fallback: number): number {
  const value = Number.parseFloat(response.headers.get(name) ?? '');
  return Number.isFinite(value) ? value : fallback;
}

/** A float16 map response (`X-Shape`, `X-Min`, `X-Max`, `X-Weights`), decoded, and the response for its other headers. */
async function f16Map(url: string, signal?: AbortSignal): Promise<{ map: GridMap; response: Response }> {
  const response = await request(url, signal);
  const [gh = 0, gw = 0] = parseShape(response.headers.get('X-Shape'), 2);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length !== gh * gw * 2) throw new ApiError(0, `expected ${gh * gw * 2} bytes for ${gh}×${gw}, got ${bytes.length}`);
  const values = decodeFloat16(bytes);
  const range = rangeOf(values);
  const map = {
    gh,
    gw,
    values,
    bytes,
    min: headerNumber(response, 'X-Min', range.lo),
    max: headerNumber(response, 'X-Max', range.hi),
    weights: response.headers.get('X-Weights') ?? 'unknown',
    token: response.headers.get('X-Token'),
    prompt: response.headers.get('X-Prompt'),
  };
  return { map, response };
}

export const api = {
  health: (signal?: AbortSignal) => getJson<Health>('/health', signal),
  models: (signal?: AbortSignal) => getJson<ModelList>('/models', signal),
  served: (signal?: AbortSignal) => getJson<Served>('/served', signal),
  images: (params: { limit: number; offset: number; q?: string }, signal?: AbortSignal) =>
    getJson<ImagePage>(`/images${query({ limit: params.limit, offset: params.offset, q: params.q })}`, signal),
  image: (imageId: string, signal?: AbortSignal) => getJson<ImageDetail>(`/images/${id(imageId)}`, signal),
  tokens: (q: TokensQuery, signal?: AbortSignal) => getJson<TokensBody>(urls.tokens(q), signal),

  /** One map as float16 bytes (`format=f16`), decoded. */
  async map(q: MapQuery, signal?: AbortSignal): Promise<GridMap> {
    return (await f16Map(urls.raw(q, 'f16'), signal)).map;
  },

  /** A variant's map minus its base's as float16 bytes, decoded, with the distance (`X-Distance`). */
  async shift(q: ShiftQuery, signal?: AbortSignal): Promise<ShiftMap> {
    const { map, response } = await f16Map(urls.shift(q, 'f16'), signal);
    return {
      ...map,
      baseWeights: response.headers.get('X-Base-Weights'),
      distance: headerNumber(response, 'X-Distance', Number.NaN),
    };
  },
  shiftJson: (q: ShiftQuery, signal?: AbortSignal) => getJson<Record<string, unknown>>(urls.shift(q), signal),
  shiftMetrics: (q: ShiftMetricsQuery, signal?: AbortSignal) => getJson<ShiftMetrics>(urls.metrics.shift(q), signal),

  /** Every head of one layer as float16 bytes, decoded; per-head ranges computed here. */
  async heads(q: HeadsQuery, signal?: AbortSignal): Promise<HeadMaps> {
    const response = await request(urls.heads(q, 'f16'), signal);
    const [heads = 0, gh = 0, gw = 0] = parseShape(response.headers.get('X-Shape'), 3);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length !== heads * gh * gw * 2) throw new ApiError(0, `expected ${heads * gh * gw * 2} bytes, got ${bytes.length}`);
    const values = decodeFloat16(bytes);
    const size = gh * gw;
    const headMin: number[] = [];
    const headMax: number[] = [];
    for (let h = 0; h < heads; h++) {
      const r = rangeOf(values.subarray(h * size, (h + 1) * size));
      headMin.push(r.lo);
      headMax.push(r.hi);
    }
    const range = rangeOf(values);
    return {
      heads,
      gh,
      gw,
      values,
      bytes,
      min: headerNumber(response, 'X-Min', range.lo),
      max: headerNumber(response, 'X-Max', range.hi),
      headMin,
      headMax,
      weights: response.headers.get('X-Weights') ?? 'unknown',
    };
  },

  /** The raw slice as the API's JSON (shortest decimals), for the JSON export. */
  rawJson: (q: MapQuery, signal?: AbortSignal) => getJson<Record<string, unknown>>(urls.raw(q), signal),
  headsJson: (q: HeadsQuery, signal?: AbortSignal) => getJson<Record<string, unknown>>(urls.heads(q), signal),

  leaderboard: (q: LeaderboardQuery, signal?: AbortSignal) => getJson<Leaderboard>(urls.metrics.leaderboard(q), signal),
  layerProgression: (q: ModelMetricQuery, signal?: AbortSignal) => getJson<LayerProgression>(urls.metrics.layers(q), signal),
  headRanking: (q: ModelMetricQuery, signal?: AbortSignal) => getJson<HeadRanking>(urls.metrics.heads(q), signal),
  imageRanking: (q: ImageRankingQuery, signal?: AbortSignal) => getJson<ImageRanking>(urls.metrics.images(q), signal),
  imageMetrics: (imageId: string, signal?: AbortSignal) => getJson<ImageMetrics>(urls.metrics.image(imageId), signal),
};
