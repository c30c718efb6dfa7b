import { describe, expect, it } from 'vitest';
import { encodeFloat16 } from './float16';
import { MatrixTileCache, type RawTile } from './matrixTileCache';
import { mainThreadDecoder, TileWorkerLost, type TileDecoder, type TileImage } from './tileDecoder';

/** Fetches that the test settles by hand, each remembering its abort signal. */
function fakeFetches() {
  const calls = new Map<string, { signal: AbortSignal; resolve: (raw: RawTile) => void; reject: (error: Error) => void }>();
  const fetchTile = (spec: string, signal: AbortSignal) =>
    new Promise<RawTile>((resolve, reject) => {
      calls.set(spec, { signal, resolve, reject });
    });
  return { calls, fetchTile };
}

const raw = (values: number[]): RawTile => ({ rows: 1, cols: values.length, bytes: encodeFloat16(values).buffer as ArrayBuffer });
const asPixels = (pixels: Uint8ClampedArray, rows: number, cols: number) => ({ pixels: [...pixels], rows, cols }) as unknown as HTMLCanvasElement;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** One frame of the draw loop: get every key, want the missing ones, end the frame. */
function frame(cache: MatrixTileCache<string>, keys: string[]): (TileImage | null)[] {
  const images = keys.map((k) => {
    const image = cache.get(k);
    if (image === null) cache.want(k, k);
    return image;
  });
  cache.endFrame();
  return images;
}

describe('MatrixTileCache', () => {
  it('fetches at most maxFetches at once, decodes at most decodesPerFrame a frame, then draws them', async () => {
    const { calls, fetchTile } = fakeFetches();
    let readies = 0;
    const cache = new MatrixTileCache<string>({ fetchTile, decoder: mainThreadDecoder('magma', asPixels), onReady: () => readies++, maxFetches: 2, decodesPerFrame: 1 });
    const keys = ['a', 'b', 'c'];
    expect(frame(cache, keys)).toEqual([null, null, null]);
    expect([...calls.keys()]).toEqual(['a', 'b']);
    calls.get('a')!.resolve(raw([1]));
    calls.get('b')!.resolve(raw([0, 1]));
    await settle();
    expect(readies).toBe(2); // each arrival asks for a frame
    expect(cache.counts()).toMatchObject({ arrived: 2, fetching: 0 });
    frame(cache, keys); // decodes one, starts c
    expect([...calls.keys()]).toEqual(['a', 'b', 'c']);
    expect(cache.counts()).toMatchObject({ arrived: 1 });
    await settle();
    frame(cache, keys); // decodes the other
    await settle();
    const [a, b, c] = frame(cache, keys) as unknown as ({ pixels: number[]; cols: number } | null)[];
    expect(a!.pixels.slice(0, 4)).toEqual(b!.pixels.slice(4, 8)); // both 1.0: the top colour
    expect(b!.pixels.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(c).toBeNull();
    expect(cache.counts()).toEqual({ drawn: 2, fetching: 1, arrived: 0, decoding: 0 });
  });

  it('aborts fetches and drops undecoded tiles that left the view', async () => {
    const { calls, fetchTile } = fakeFetches();
    const cache = new MatrixTileCache<string>({ fetchTile, decoder: mainThreadDecoder('magma', asPixels), onReady: () => undefined, decodesPerFrame: 0 });
    frame(cache, ['a', 'b']);
    calls.get('a')!.resolve(raw([1]));
    await settle();
    frame(cache, ['x']); // panned away: a (fetched) is dropped, b (in flight) aborted
    expect(calls.get('b')!.signal.aborted).toBe(true);
    expect(calls.get('x')!.signal.aborted).toBe(false);
    calls.get('b')!.resolve(raw([1])); // a late answer after the abort is ignored
    await settle();
    expect(cache.counts()).toEqual({ drawn: 0, fetching: 1, arrived: 0, decoding: 0 });
    calls.delete('a');
    frame(cache, ['a']); // back in view: fetched again
    expect(calls.has('a')).toBe(true);
  });

  it('keeps the most recently drawn tiles, at most maxDrawn, closing evicted bitmaps', async () => {
    const closed: string[] = [];
    const decoder: TileDecoder = {
      where: 'worker',
      decode: (_bytes, _rows, cols) => Promise.resolve({ width: cols, close: () => closed.push(`w${cols}`) } as unknown as ImageBitmap),
      dispose: () => undefined,
    };
    const { calls, fetchTile } = fakeFetches();
    const cache = new MatrixTileCache<string>({ fetchTile, decoder, onReady: () => undefined, maxDrawn: 2 });
    for (const [key, cols] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      frame(cache, [key]);
      calls.get(key)!.resolve(raw(new Array<number>(cols).fill(1)));
      await settle();
      frame(cache, [key]);
      await settle();
      if (key === 'b') expect(cache.get('a')).not.toBeNull(); // a drawn again: b is now the oldest
    }
    expect(cache.get('b')).toBeNull();
    expect(closed).toEqual(['w2']);
    expect(cache.get('a')).not.toBeNull();
    cache.dispose();
    expect(closed.sort()).toEqual(['w1', 'w2', 'w3']);
  });

  it('refetches a failed tile only after retryMs, and at once one lost with the worker', async () => {
    const { calls, fetchTile } = fakeFetches();
    let lose = true;
    const decoder: TileDecoder = {
      where: 'worker',
      decode: () => (lose ? Promise.reject(new TileWorkerLost('gone')) : Promise.resolve({ width: 1 } as unknown as ImageBitmap)),
      dispose: () => undefined,
    };
    let clock = 0;
    const cache = new MatrixTileCache<string>({ fetchTile, decoder, onReady: () => undefined, retryMs: 5000, now: () => clock });
    frame(cache, ['bad', 'lost']);
    calls.get('bad')!.reject(new Error('404'));
    calls.get('lost')!.resolve(raw([1]));
    await settle();
    frame(cache, ['bad', 'lost']);
    await settle();
    calls.clear();
    lose = false;
    frame(cache, ['bad', 'lost']);
    expect([...calls.keys()]).toEqual(['lost']);
    calls.get('lost')!.resolve(raw([1]));
    await settle();
    frame(cache, ['bad', 'lost']);
    await settle();
    expect(frame(cache, ['lost'])[0]).not.toBeNull();
    clock = 4999;
    frame(cache, ['bad']);
    expect(calls.has('bad')).toBe(false);
    clock = 5000;
    frame(cache, ['bad']);
    expect(calls.has('bad')).toBe(true);
  });
});
