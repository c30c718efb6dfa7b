/**
 * A matrix tile's float16 bytes (the `/texts/{id}/matrix?format=f16` body) → RGBA pixels, in one
 * pass: every float16 bit pattern maps to its colour-table entry through a 65,536-entry table built
 * once, so a 256 × 256 tile is 65,536 lookups (no float decode, no log10 per cell). The same colours
 * as `tilePixels` (lib/matrixTiles.ts): log scale 1e-4 … 1, zero and NaN transparent. Runs in the
 * tile worker (tileDecode.worker.ts) and, where there is no Worker, on the main thread.
 */
import { colormapLut, type ColormapName } from './colormaps';
import { halfBitsToFloat } from './float16';
import { logLevel } from './matrixTiles';

/** A decode request: `bytes` are little-endian float16, rows × cols of them (transferred to the worker). */
export interface TileDecodeRequest {
  id: number;
  bytes: ArrayBuffer;
  rows: number;
  cols: number;
  colormap: ColormapName;
}

/** The answer: an ImageBitmap where the worker can make one, else the RGBA bytes (transferred back). */
export interface TileDecodeReply {
  id: number;
  rows: number;
  cols: number;
  bitmap?: ImageBitmap;
  pixels?: ArrayBuffer;
  error?: string;
}

/** No colour: the cell is transparent (zero, negative, NaN). */
const BLANK = 256;
let levels: Uint16Array | null = null;

/** The colour-table index (0 … 255, or BLANK) of every float16 bit pattern. */
export function halfLevelTable(): Uint16Array {
  if (levels === null) {
    levels = new Uint16Array(65536);
    for (let bits = 0; bits < 65536; bits++) {
      const level = logLevel(halfBitsToFloat(bits));
      levels[bits] = level < 0 ? BLANK : Math.round(level * 255);
    }
  }
  return levels;
}

const palettes = new Map<ColormapName, Uint32Array>();

/** The colour table as 257 packed RGBA words in the platform's byte order (the last transparent). */
function palette(name: ColormapName): Uint32Array {
  let words = palettes.get(name);
  if (words === undefined) {
    const lut = colormapLut(name);
    words = new Uint32Array(BLANK + 1);
    const bytes = new Uint8Array(words.buffer);
    for (let i = 0; i < 256; i++) bytes.set([lut[i * 3]!, lut[i * 3 + 1]!, lut[i * 3 + 2]!, 255], i * 4);
    palettes.set(name, words);
  }
  return words;
}

/** RGBA pixels (rows × cols, row-major) of a tile's little-endian float16 bytes. */
export function tileRgba(bytes: ArrayBuffer, rows: number, cols: number, colormap: ColormapName = 'magma'): Uint8ClampedArray<ArrayBuffer> {
  const n = rows * cols;
  if (!(n >= 0) || bytes.byteLength < 2 * n) throw new RangeError(`tile data too short: ${rows} × ${cols} float16 need ${2 * n} bytes, have ${bytes.byteLength}`);
  const source = new Uint8Array(bytes, 0, 2 * n);
  const out = new Uint32Array(n);
  const table = halfLevelTable();
  const words = palette(colormap);
  for (let i = 0, at = 0; i < n; i++, at += 2) out[i] = words[table[source[at]! | (source[at + 1]! << 8)]!]!;
  return new Uint8ClampedArray(out.buffer);
}

/**
 * The worker's whole job, callable directly (tests, the main-thread fallback): decode, colour, and
 * make an ImageBitmap when `createImageBitmap` exists (the worker hands it back without a copy).
 */
export async function decodeTileRequest(request: TileDecodeRequest, makeBitmaps = typeof createImageBitmap === 'function'): Promise<TileDecodeReply> {
  const { id, rows, cols } = request;
  try {
    const pixels = tileRgba(request.bytes, rows, cols, request.colormap);
    if (makeBitmaps && rows > 0 && cols > 0) return { id, rows, cols, bitmap: await createImageBitmap(new ImageData(pixels, cols, rows)) };
    return { id, rows, cols, pixels: pixels.buffer };
  } catch (error) {
    return { id, rows, cols, error: error instanceof Error ? error.message : String(error) };
  }
}

/** What to transfer (not copy) with a reply. */
export function replyTransfer(reply: TileDecodeReply): Transferable[] {
  return reply.bitmap !== undefined ? [reply.bitmap] : reply.pixels !== undefined ? [reply.pixels] : [];
}
