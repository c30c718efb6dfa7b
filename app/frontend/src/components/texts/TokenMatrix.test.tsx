// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { colormapLut } from '../../lib/colormaps';
import { encodeFloat16 } from '../../lib/float16';
import { render, type Rendered } from '../../test/render';
import { TokenMatrix } from './TokenMatrix';

const N = 8;
const TOKENS = Array.from({ length: N }, (_, i) => ({ id: i, text: `t${i}`, role: 'user', message: 0 }));
const SLICE = { model: 'tinylm', textId: 'chat-1', layer: 1, head: null };

/** happy-dom has no 2-D canvas: a context that keeps what was put and records what was drawn. */
function fakeCanvas() {
  const pixels = new WeakMap<object, Uint8ClampedArray>();
  const drawn: { image: unknown; x: number; y: number; w: number; h: number }[] = [];
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    return {
      fillRect: () => undefined,
      putImageData: (data: ImageData) => pixels.set(this, new Uint8ClampedArray(data.data)),
      drawImage: (image: unknown, x: number, y: number, w: number, h: number) => drawn.push({ image, x, y, w, h }),
    } as unknown as CanvasRenderingContext2D;
  } as never);
  return { pixels, drawn };
}

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('TokenMatrix without a Worker (the main-thread fallback)', () => {
  it('fetches the visible tile as float16, colours it and draws it', async () => {
    const urls: string[] = [];
    // Causal 8 × 8: the diagonal 1, the rest of the lower triangle 0.01, above it 0 (nothing).
    const values = Array.from({ length: N * N }, (_, c) => (c % N === Math.floor(c / N) ? 1 : c % N < Math.floor(c / N) ? 0.01 : 0));
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        urls.push(url);
        return new Response(encodeFloat16(values).buffer as ArrayBuffer, { headers: { 'X-Shape': `${N},${N}`, 'Content-Type': 'application/octet-stream' } });
      }),
    );
    const { pixels, drawn } = fakeCanvas();
    await act(async () => {
      shown = render(<TokenMatrix slice={SLICE} tokens={TOKENS} onToken={() => undefined} size={64} />);
    });
    await vi.waitFor(() => expect(drawn.length).toBeGreaterThan(0), { timeout: 3000 });
    const canvas = shown!.container.querySelector<HTMLCanvasElement>('[data-testid="token-matrix"]')!;
    expect(canvas.dataset.decode).toBe('main');
    expect(canvas.dataset.block).toBe('1');
    expect(urls).toHaveLength(1);
    const asked = new URL(urls[0]!, 'http://x');
    expect(asked.pathname).toBe('/texts/chat-1/matrix');
    expect(Object.fromEntries(asked.searchParams)).toMatchObject({ block: '1', q0: '0', q1: '8', k0: '0', k1: '8', format: 'f16' });
    const last = drawn.at(-1)!;
    expect(last).toMatchObject({ x: 0, y: 0, w: 64, h: 64 }); // 8 cells at 8 px a token
    const got = pixels.get(last.image as object)!;
    const lut = colormapLut('magma');
    const colour = (index: number) => [lut[index * 3], lut[index * 3 + 1], lut[index * 3 + 2], 255];
    // np.float16(0.01) = 0.010002136…: log level 0.50002 → entry 128
    expect([...got.slice(0, 4)]).toEqual(colour(255));
    expect([...got.slice(4 * (2 * N + 1), 4 * (2 * N + 2))]).toEqual(colour(128));
    expect([...got.slice(4, 8)]).toEqual([0, 0, 0, 0]);
  });
});
