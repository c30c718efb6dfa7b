import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFloat16 } from '../lib/float16';
import { api, ApiError, urls } from './client';

function respond(body: BodyInit | null, init: ResponseInit) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(body, init)));
}

afterEach(() => vi.unstubAllGlobals());

describe('urls', () => {
  it('builds raw and heads URLs; fusion only for fused maps other than mean', () => {
    const q = { imageId: 'sub__a b', model: 'dinov2', method: 'cls', layer: 11, head: 3, fusion: 'max' as const };
    expect(urls.raw(q)).toBe('/attention/sub__a%20b/raw?model=dinov2&method=cls&layer=11&head=3');
    expect(urls.raw({ ...q, head: null }, 'f16')).toBe('/attention/sub__a%20b/raw?model=dinov2&method=cls&layer=11&fusion=max&format=f16');
    expect(urls.raw({ ...q, head: null, fusion: 'mean' })).toBe('/attention/sub__a%20b/raw?model=dinov2&method=cls&layer=11');
    expect(urls.heads(q, 'f16')).toBe('/attention/sub__a%20b/heads?model=dinov2&method=cls&layer=11&format=f16');
  });
});

describe('VLM urls', () => {
  const q = { imageId: 'astronaut', model: 'qwen2_5_vl', method: 'text', layer: 20, head: 3, fusion: 'mean' as const, prompt: 0, token: '12-30' };

  it('sends prompt and token with method text', () => {
    expect(urls.raw(q, 'f16')).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&head=3&format=f16');
    expect(urls.raw({ ...q, token: '7', head: null, fusion: 'max' })).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=text&prompt=0&token=7&layer=20&fusion=max');
    // no token: the API's default, every answer token
    expect(urls.raw({ ...q, token: null, prompt: 1 })).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=text&prompt=1&layer=20&head=3');
    expect(urls.heads({ ...q }, 'f16')).toBe('/attention/astronaut/heads?model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&format=f16');
    expect(urls.heatmapPng({ ...q, size: 256, colormap: 'viridis', boxes: false })).toBe(
      '/attention/astronaut/heatmap.png?model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&head=3&size=256',
    );
  });

  it('sends only the prompt with method gradrollout (its token is the one precompute explained)', () => {
    const g = { ...q, method: 'gradrollout', layer: 0, head: null, prompt: 1, token: '7' };
    expect(urls.raw(g, 'f16')).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=gradrollout&prompt=1&layer=0&format=f16');
    expect(urls.raw({ ...g, prompt: null })).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=gradrollout&layer=0');
  });

  it('never sends them with other methods (the API refuses them there)', () => {
    expect(urls.raw({ ...q, method: 'mean' })).toBe('/attention/astronaut/raw?model=qwen2_5_vl&method=mean&layer=20&head=3');
    expect(urls.heads({ ...q, method: 'mean' })).toBe('/attention/astronaut/heads?model=qwen2_5_vl&method=mean&layer=20');
    const vit = { imageId: 'a', model: 'clip', method: 'cls', layer: 1, head: null, fusion: 'mean' as const };
    expect(urls.raw(vit)).toBe('/attention/a/raw?model=clip&method=cls&layer=1');
  });

  it('builds the token list URL: prompt, and a head for per-head image mass', () => {
    expect(urls.tokens({ imageId: 'sub__a b', model: 'qwen3_vl', prompt: 0, head: null })).toBe('/attention/sub__a%20b/tokens?model=qwen3_vl&prompt=0');
    expect(urls.tokens({ imageId: 'a', model: 'qwen3_vl', prompt: 2, head: 5 })).toBe('/attention/a/tokens?model=qwen3_vl&prompt=2&head=5');
  });

  it('fetches the token list', async () => {
    const body = { image_id: 'a', model: 'qwen3_vl', tokens: [], image_mass: [] };
    respond(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } });
    await expect(api.tokens({ imageId: 'a', model: 'qwen3_vl', prompt: 0, head: null })).resolves.toEqual(body);
    expect(vi.mocked(fetch).mock.calls[0]?.[0]).toBe('/attention/a/tokens?model=qwen3_vl&prompt=0');
  });
});

describe('metrics urls', () => {
  it('builds the /metrics URLs, leaving out what is not chosen', () => {
    expect(urls.metrics.leaderboard({ metric: null, method: null, layer: null, label: '' })).toBe('/metrics/leaderboard');
    expect(urls.metrics.leaderboard({ metric: 'energy', method: 'cls', layer: 0, label: 'traffic light' })).toBe(
      '/metrics/leaderboard?metric=energy&method=cls&layer=0&label=traffic+light',
    );
    expect(urls.metrics.layers({ model: 'dinov2', metric: 'energy', method: 'cls' })).toBe('/metrics/model/dinov2/layers?metric=energy&method=cls');
    expect(urls.metrics.heads({ model: 'clip', metric: 'iou_top10', method: null })).toBe('/metrics/model/clip/heads?metric=iou_top10');
    expect(urls.metrics.images({ model: 'clip', metric: 'energy', method: 'mean', layer: 3, head: 0 })).toBe(
      '/metrics/model/clip/images?metric=energy&method=mean&layer=3&head=0',
    );
    expect(urls.metrics.image('sub__a b')).toBe('/metrics/sub__a%20b?heads=true');
    // a label narrows the layer progression and the image ranking; '' means all images
    expect(urls.metrics.layers({ model: 'clip', metric: 'energy', method: 'cls', label: 'cat' })).toBe(
      '/metrics/model/clip/layers?metric=energy&method=cls&label=cat',
    );
    expect(urls.metrics.images({ model: 'clip', metric: 'energy', method: null, layer: null, head: null, label: '' })).toBe(
      '/metrics/model/clip/images?metric=energy',
    );
  });

  it('builds heatmap.png thumbnails with the boxes', () => {
    const q = { imageId: 'cat', model: 'clip', method: 'cls', layer: 2, head: null, size: 256, colormap: 'viridis', boxes: true };
    expect(urls.heatmapPng(q)).toBe('/attention/cat/heatmap.png?model=clip&method=cls&layer=2&size=256&boxes=true');
    expect(urls.heatmapPng({ ...q, head: 1, colormap: 'magma', boxes: false })).toBe(
      '/attention/cat/heatmap.png?model=clip&method=cls&layer=2&head=1&size=256&colormap=magma',
    );
  });
});

describe('api.leaderboard', () => {
  it('returns the JSON body', async () => {
    const body = { metric: null, metrics: [], label: '', baselines: [], hint: 'run precompute --metrics', method: null, layer: null, rows: [] };
    respond(JSON.stringify(body), { headers: { 'Content-Type': 'application/json' } });
    await expect(api.leaderboard({ metric: null, method: null, layer: null, label: '' })).resolves.toEqual(body);
  });
});

describe('api.map', () => {
  const q = { imageId: 'img', model: 'clip', method: 'cls', layer: 1, head: null, fusion: 'mean' as const };

  it('decodes float16 bytes with X-Shape, X-Min, X-Max and X-Weights', async () => {
    respond(encodeFloat16([0, 0.25, 0.5, 1, 0.125, 0.75]) as BodyInit, {
      headers: { 'X-Shape': '2,3', 'X-Min': '0.0', 'X-Max': '1.0', 'X-Weights': 'random' },
    });
    const map = await api.map(q);
    expect(map).toMatchObject({ gh: 2, gw: 3, min: 0, max: 1, weights: 'random' });
    expect(Array.from(map.values)).toEqual([0, 0.25, 0.5, 1, 0.125, 0.75]);
    expect(map.bytes).toHaveLength(12);
  });

  it('decodes a non-square VLM grid (12×16)', async () => {
    const values = Array.from({ length: 12 * 16 }, (_, i) => i / 256);
    respond(encodeFloat16(values) as BodyInit, { headers: { 'X-Shape': '12,16', 'X-Weights': 'pretrained' } });
    const map = await api.map({ ...q, model: 'qwen2_5_vl', method: 'text', prompt: 0, token: '3-5' });
    expect(map).toMatchObject({ gh: 12, gw: 16, weights: 'pretrained' });
    expect(map.values[16]).toBeCloseTo(16 / 256, 3); // row 1, column 0
  });

  it('reads the prompt and the explained token of a gradrollout map (X-Prompt, X-Token)', async () => {
    respond(encodeFloat16([0.5, 1]) as BodyInit, { headers: { 'X-Shape': '1,2', 'X-Prompt': '1', 'X-Token': '9' } });
    const map = await api.map({ ...q, model: 'qwen2_5_vl', method: 'gradrollout', prompt: 1 });
    expect(map).toMatchObject({ gh: 1, gw: 2, prompt: '1', token: '9' });
  });

  it('refuses a body that does not match the shape', async () => {
    respond(encodeFloat16([1, 2]) as BodyInit, { headers: { 'X-Shape': '2,3' } });
    await expect(api.map(q)).rejects.toThrow(/expected 12 bytes/);
  });

  it('decodes every head and their ranges', async () => {
    respond(encodeFloat16([0, 0.5, 0.25, 1]) as BodyInit, { headers: { 'X-Shape': '2,1,2', 'X-Min': '0.0', 'X-Max': '1.0' } });
    const heads = await api.heads(q);
    expect(heads).toMatchObject({ heads: 2, gh: 1, gw: 2, headMin: [0, 0.25], headMax: [0.5, 1] });
  });
});

describe('errors', () => {
  it("carries the API's message, parameter and allowed values", async () => {
    respond(JSON.stringify({ detail: 'x', message: "method 'cls' is not available: siglip has no CLS token", parameter: 'method', allowed: ['mean'] }), {
      status: 400,
      headers: { 'Content-Type': 'application/json' },
    });
    const error = await api.models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, parameter: 'method', allowed: ['mean'] });
    expect((error as ApiError).message).toMatch(/no CLS token/);
  });

  it('keeps the status line when the body is not JSON, and reports an unreachable API as status 0', async () => {
    respond('oops', { status: 502, statusText: 'Bad Gateway' });
    await expect(api.models()).rejects.toMatchObject({ status: 502, message: '502 Bad Gateway' });
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(api.models()).rejects.toMatchObject({ status: 0 });
  });
});
