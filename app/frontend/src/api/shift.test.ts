import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeFloat16, encodeFloat16 } from '../lib/float16';
import { api, ApiError, urls } from './client';

afterEach(() => vi.unstubAllGlobals());

const q = { imageId: 'sub__a b', model: 'dinov2-ft', base: 'dinov2', method: 'cls', layer: 11, head: 3, fusion: 'mean' as const };

describe('shift urls (the API contract)', () => {
  it('asks for model − base with the map parameters of /raw', () => {
    expect(urls.shift(q, 'f16')).toBe('/attention/sub__a%20b/shift?model=dinov2-ft&base=dinov2&method=cls&layer=11&head=3&format=f16');
    expect(urls.shift({ ...q, head: null, fusion: 'max' })).toBe('/attention/sub__a%20b/shift?model=dinov2-ft&base=dinov2&method=cls&layer=11&fusion=max');
    const text = { ...q, model: 'qwen-lora', base: 'qwen2_5_vl', method: 'text', prompt: 1, token: '6-9' };
    expect(urls.shift(text)).toBe('/attention/sub__a%20b/shift?model=qwen-lora&base=qwen2_5_vl&method=text&prompt=1&token=6-9&layer=11&head=3');
    expect(urls.metrics.shift({ model: 'dinov2-ft', base: 'dinov2', method: 'cls' })).toBe('/metrics/shift?model=dinov2-ft&base=dinov2&method=cls');
  });
});

describe('api.shift', () => {
  it('decodes the float16 difference and reads the distance and both weights', async () => {
    const diff = [-0.25, 0, 0.125, 0.5, -0.0625, 0];
    const fetch = vi.fn(
      async (_url: string) =>
        new Response(encodeFloat16(diff) as BodyInit, {
          headers: { 'X-Shape': '2,3', 'X-Distance': '0.375', 'X-Weights': 'pretrained', 'X-Base-Weights': 'random' },
        }),
    );
    vi.stubGlobal('fetch', fetch);
    const map = await api.shift(q);
    expect(fetch.mock.calls[0]![0]).toBe(urls.shift(q, 'f16'));
    expect([map.gh, map.gw]).toEqual([2, 3]);
    expect([...map.values]).toEqual([...decodeFloat16(encodeFloat16(diff))]);
    expect([map.min, map.max]).toEqual([-0.25, 0.5]);
    expect(map.distance).toBe(0.375);
    expect([map.weights, map.baseWeights]).toEqual(['pretrained', 'random']);
  });

  it('a 409 (the two grids differ) is the API readable line', async () => {
    const body = { message: 'the grids differ: dinov2-ft 16×16, dinov2 14×14', parameter: null };
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(body), { status: 409 })));
    const error = await api.shift(q).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe(body.message);
  });

  it('refuses a body of the wrong size', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(new Uint8Array(6) as BodyInit, { headers: { 'X-Shape': '2,3' } })));
    await expect(api.shift(q)).rejects.toThrow(/expected 12 bytes/);
  });

  it('fetches the shift metrics', async () => {
    const body = { model: 'dinov2-ft', base: 'dinov2', method: 'cls', cells: [{ layer: 0, head: -1, mean: 0.1, ci_low: 0.05, ci_high: 0.2, n: 3 }], images: [] };
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(body))));
    await expect(api.shiftMetrics({ model: 'dinov2-ft', base: 'dinov2', method: 'cls' })).resolves.toEqual(body);
  });
});
