/**
 * Where the matrix view's tiles are decoded and coloured: in a module Worker (the bytes go over
 * transferred, an ImageBitmap comes back transferred: the main thread only draws it), or — where
 * there is no Worker (vitest's DOMs, a worker that fails to start or dies) — on the main thread,
 * a few tiles a frame (the caller paces it: lib/matrixTileCache.ts).
 */
import type { ColormapName } from './colormaps';
import { tileRgba, type TileDecodeReply, type TileDecodeRequest } from './tileDecode';

/** A decoded tile, drawable with `drawImage`: width = cols, height = rows. */
export type TileImage = ImageBitmap | HTMLCanvasElement;
export type ToImage = (pixels: Uint8ClampedArray<ArrayBuffer>, rows: number, cols: number) => TileImage;

export interface TileDecoder {
  readonly where: 'worker' | 'main';
  /** Decode little-endian float16 bytes (rows × cols); `bytes` may be transferred (detached) by the call. */
  decode(bytes: ArrayBuffer, rows: number, cols: number): Promise<TileImage>;
  dispose(): void;
}

/** The worker died with this tile in it: not the tile's fault, ask again. */
export class TileWorkerLost extends Error {
  override name = 'TileWorkerLost';
}

/** RGBA pixels onto a small canvas (at least 1 × 1; an empty tile stays transparent). */
export function canvasImage(pixels: Uint8ClampedArray<ArrayBuffer>, rows: number, cols: number): TileImage {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, cols);
  canvas.height = Math.max(1, rows);
  const context = canvas.getContext('2d');
  if (context !== null && rows > 0 && cols > 0) context.putImageData(new ImageData(pixels, cols, rows), 0, 0);
  return canvas;
}

/** Decode on the calling thread: synchronous work, answered as a settled promise. */
export function mainThreadDecoder(colormap: ColormapName = 'magma', toImage: ToImage = canvasImage): TileDecoder {
  return {
    where: 'main',
    decode(bytes, rows, cols) {
      try {
        return Promise.resolve(toImage(tileRgba(bytes, rows, cols, colormap), rows, cols));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    dispose: () => undefined,
  };
}

/** Minimal Worker surface (a real Worker, or a fake in tests). */
export interface TileWorker {
  onmessage: ((event: MessageEvent<TileDecodeReply>) => void) | null;
  onerror: ((event: Event) => void) | null;
  postMessage(message: TileDecodeRequest, transfer: Transferable[]): void;
  terminate(): void;
}

/** Decode in `worker`; once it fails, every later tile goes to `fallback`. */
export function workerDecoder(worker: TileWorker, colormap: ColormapName = 'magma', fallback = mainThreadDecoder(colormap), toImage: ToImage = canvasImage): TileDecoder {
  const pending = new Map<number, { resolve: (image: TileImage) => void; reject: (error: Error) => void }>();
  let next = 0;
  let broken = false;
  const decoder: TileDecoder & { where: 'worker' | 'main' } = {
    where: 'worker',
    decode(bytes, rows, cols) {
      if (broken) return fallback.decode(bytes, rows, cols);
      const id = next++;
      return new Promise<TileImage>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, bytes, rows, cols, colormap }, [bytes]);
      });
    },
    dispose() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new TileWorkerLost('the tile worker was stopped'));
      pending.clear();
    },
  };
  worker.onmessage = ({ data: reply }) => {
    const waiting = pending.get(reply.id);
    if (waiting === undefined) return void reply.bitmap?.close();
    pending.delete(reply.id);
    if (reply.bitmap !== undefined) waiting.resolve(reply.bitmap);
    else if (reply.pixels !== undefined) waiting.resolve(toImage(new Uint8ClampedArray(reply.pixels), reply.rows, reply.cols));
    else waiting.reject(new Error(reply.error ?? 'the tile could not be decoded'));
  };
  worker.onerror = () => {
    broken = true;
    decoder.where = 'main';
    decoder.dispose();
  };
  return decoder;
}

/** Set (before the app loads) to decode on the main thread: the benchmark's side-by-side baseline. */
export const FORCE_MAIN_THREAD = 'SSL_ATTENTION_MATRIX_DECODE';

/** The worker decoder where Workers exist (and the page did not ask for the main thread), else the fallback. */
export function createTileDecoder(colormap: ColormapName = 'magma'): TileDecoder {
  const forced = (globalThis as Record<string, unknown>)[FORCE_MAIN_THREAD] === 'main';
  if (forced || typeof Worker === 'undefined') return mainThreadDecoder(colormap);
  try {
    const worker = new Worker(new URL('./tileDecode.worker.ts', import.meta.url), { type: 'module' });
    return workerDecoder(worker as unknown as TileWorker, colormap);
  } catch {
    return mainThreadDecoder(colormap);
  }
}
