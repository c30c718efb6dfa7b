import { afterEach, describe, expect, it, vi } from 'vitest';
import { colormapLut } from './colormaps';
import { decodeFloat16, encodeFloat16 } from './float16';
import { tilePixels } from './matrixTiles';
import { decodeTileRequest, replyTransfer, tileRgba, type TileDecodeReply, type TileDecodeRequest } from './tileDecode';
import { createTileDecoder, FORCE_MAIN_THREAD, mainThreadDecoder, TileWorkerLost, workerDecoder, type TileWorker } from './tileDecoder';

const MAGMA = colormapLut('magma');
const rgba = (index: number): number[] => [MAGMA[index * 3]!, MAGMA[index * 3 + 1]!, MAGMA[index * 3 + 2]!, 255];
const CLEAR = [0, 0, 0, 0];

/** Little-endian float16 bytes of raw bit patterns. */
function halfBytes(bits: number[]): ArrayBuffer {
  const bytes = new Uint8Array(bits.length * 2);
  bits.forEach((b, i) => bytes.set([b & 0xff, b >> 8], 2 * i));
  return bytes.buffer;
}

/** The colour index by a plain loop, from the float16 value numpy gives for the bits. */
const expectedIndex = (value: number) => Math.round(Math.min(1, Math.max(0, (Math.log10(value) + 4) / 4)) * 255);

describe('tile decoding (the worker function)', () => {
  it('colours known float16 values on the log scale, zero / negative / NaN transparent', () => {
    const cases: [number, number[]][] = [
      [0x3c00, rgba(255)], // 1.0
      [0x211f, rgba(expectedIndex(0.01000213623046875))], // np.float16(0.01): the middle, 128
      [0x068e, rgba(expectedIndex(0.00010001659393310547))], // np.float16(1e-4): the low end
      [0x0001, rgba(0)], // the smallest subnormal (6e-8): below 1e-4, still drawn at the low end
      [0x7c00, rgba(255)], // +inf: clipped to the top
      [0x0000, CLEAR],
      [0x8000, CLEAR], // -0
      [0xbc00, CLEAR], // -1
      [0x7e00, CLEAR], // NaN
    ];
    const pixels = tileRgba(halfBytes(cases.map((c) => c[0])), 3, 3, 'magma');
    expect(pixels).toHaveLength(36);
    cases.forEach(([bits, colour], i) => expect([...pixels.slice(4 * i, 4 * i + 4)], `bits 0x${bits.toString(16)}`).toEqual(colour));
    expect(expectedIndex(0.01000213623046875)).toBe(128);
    expect(expectedIndex(0.00010001659393310547)).toBe(0);
  });

  it('agrees with float decode + tilePixels on every float16 bit pattern', () => {
    const all = halfBytes(Array.from({ length: 65536 }, (_, i) => i));
    const expected = tilePixels(decodeFloat16(all), 256, 256, MAGMA);
    const got = tileRgba(all, 256, 256, 'magma');
    expect(got.length).toBe(expected.length);
    expect(got.findIndex((v, i) => v !== expected[i])).toBe(-1);
  });

  it('reads only rows × cols values and refuses short data', () => {
    const bytes = encodeFloat16([1, 1, 1, 0]).buffer as ArrayBuffer;
    expect([...tileRgba(bytes, 1, 3)]).toEqual([...rgba(255), ...rgba(255), ...rgba(255)]);
    expect(() => tileRgba(bytes, 3, 3)).toThrow(/need 18 bytes, have 8/);
  });

  it('answers RGBA bytes without createImageBitmap, an error for a short body, and transfers what it sends', async () => {
    const request: TileDecodeRequest = { id: 7, bytes: encodeFloat16([1, 0]).buffer as ArrayBuffer, rows: 1, cols: 2, colormap: 'magma' };
    const reply = await decodeTileRequest(request, false);
    expect(reply).toMatchObject({ id: 7, rows: 1, cols: 2 });
    expect([...new Uint8ClampedArray(reply.pixels!)]).toEqual([...rgba(255), ...CLEAR]);
    expect(replyTransfer(reply)).toEqual([reply.pixels]);
    const bad = await decodeTileRequest({ ...request, rows: 4 }, false);
    expect(bad.error).toMatch(/too short/);
    expect(replyTransfer(bad)).toEqual([]);
  });
});

/** A Worker stand-in that runs the worker's function a tick later, recording what was transferred. */
function fakeWorker() {
  const transferred: Transferable[][] = [];
  const worker: TileWorker & { terminated: boolean } = {
    onmessage: null,
    onerror: null,
    terminated: false,
    postMessage(message, transfer) {
      transferred.push(transfer);
      void decodeTileRequest(message, false).then((reply: TileDecodeReply) => worker.onmessage?.({ data: reply } as MessageEvent<TileDecodeReply>));
    },
    terminate() {
      worker.terminated = true;
    },
  };
  return { worker, transferred };
}

const asPixels = (pixels: Uint8ClampedArray, rows: number, cols: number) => ({ pixels: [...pixels], rows, cols }) as unknown as HTMLCanvasElement;

describe('tile decoders', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    delete (globalThis as Record<string, unknown>)[FORCE_MAIN_THREAD];
  });

  it('the worker decoder transfers the bytes and turns the reply into an image', async () => {
    const { worker, transferred } = fakeWorker();
    const decoder = workerDecoder(worker, 'magma', mainThreadDecoder('magma', asPixels), asPixels);
    const bytes = encodeFloat16([1, 0, 0.01, 1]).buffer as ArrayBuffer;
    const image = (await decoder.decode(bytes, 2, 2)) as unknown as { pixels: number[]; rows: number; cols: number };
    expect(transferred[0]).toEqual([bytes]);
    expect(decoder.where).toBe('worker');
    expect(image.rows).toBe(2);
    expect(image.pixels).toEqual([...rgba(255), ...CLEAR, ...rgba(128), ...rgba(255)]);
  });

  it('after a worker error, tiles in it are lost (to ask again) and later tiles decode on the main thread', async () => {
    const worker: TileWorker = { onmessage: null, onerror: null, postMessage: () => undefined, terminate: () => undefined };
    const decoder = workerDecoder(worker, 'magma', mainThreadDecoder('magma', asPixels), asPixels);
    const lost = decoder.decode(encodeFloat16([1]).buffer as ArrayBuffer, 1, 1);
    worker.onerror!(new Event('error'));
    await expect(lost).rejects.toBeInstanceOf(TileWorkerLost);
    expect(decoder.where).toBe('main');
    const image = (await decoder.decode(encodeFloat16([1]).buffer as ArrayBuffer, 1, 1)) as unknown as { pixels: number[] };
    expect(image.pixels).toEqual(rgba(255));
  });

  it('the main-thread fallback decodes the same colours and rejects short data', async () => {
    const decoder = mainThreadDecoder('magma', asPixels);
    const image = (await decoder.decode(encodeFloat16([0, 1]).buffer as ArrayBuffer, 1, 2)) as unknown as { pixels: number[] };
    expect(image.pixels).toEqual([...CLEAR, ...rgba(255)]);
    await expect(decoder.decode(new ArrayBuffer(2), 1, 2)).rejects.toThrow(/too short/);
  });

  it('uses a Worker where there is one, the main thread without one or when the page asks', () => {
    expect(typeof Worker).toBe('undefined'); // vitest's node environment, like jsdom and happy-dom
    expect(createTileDecoder().where).toBe('main');
    const made: unknown[] = [];
    vi.stubGlobal(
      'Worker',
      class {
        constructor(url: URL, options: unknown) {
          made.push([String(url), options]);
        }
        terminate() {}
      },
    );
    expect(createTileDecoder().where).toBe('worker');
    expect(made).toEqual([[expect.stringMatching(/tileDecode\.worker\.ts$/), { type: 'module' }]]);
    (globalThis as Record<string, unknown>)[FORCE_MAIN_THREAD] = 'main';
    expect(createTileDecoder().where).toBe('main');
  });
});
