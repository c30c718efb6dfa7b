/**
 * The matrix view's tile pipeline, frame by frame, without React: the draw loop asks `get` for each
 * visible tile (answered from ready images only, so a frame never waits), says which tiles it still
 * `want`s, and ends the frame with `endFrame`, which
 *  - aborts fetches and drops fetched-but-undecoded tiles that left the view,
 *  - hands at most `decodesPerFrame` fetched tiles to the decoder (a worker, or the main thread),
 *  - starts fetches for wanted tiles, at most `maxFetches` at a time.
 * A failed tile is asked for again after `retryMs`, not every frame. Each arrival (fetch or decode) calls `onReady`, which schedules the next frame. Ready images are
 * kept least-recently-drawn first out, at most `maxDrawn` (each ≤ 256 × 256 pixels: 256 KiB).
 */
import { TileWorkerLost, type TileDecoder, type TileImage } from './tileDecoder';

/** A fetched tile: little-endian float16 bytes, rows × cols. */
export interface RawTile {
  rows: number;
  cols: number;
  bytes: ArrayBuffer;
}

export interface TileCacheOptions<Spec> {
  fetchTile: (spec: Spec, signal: AbortSignal) => Promise<RawTile>;
  decoder: TileDecoder;
  onReady: () => void;
  maxDrawn?: number;
  maxFetches?: number;
  /** Default: 8 for a worker (posting is cheap), 2 on the main thread (about 1 ms each). */
  decodesPerFrame?: number;
  /** A tile whose fetch or decode failed is asked for again after this long (default 5 s), not every frame. */
  retryMs?: number;
  now?: () => number;
}

export class MatrixTileCache<Spec> {
  readonly decoder: TileDecoder;
  private readonly options: TileCacheOptions<Spec>;
  private readonly drawn = new Map<string, TileImage>();
  private readonly fetching = new Map<string, AbortController>();
  private readonly arrived = new Map<string, RawTile>();
  private readonly decoding = new Set<string>();
  private readonly failed = new Map<string, number>();
  private readonly wanted = new Map<string, Spec>();
  private disposed = false;

  constructor(options: TileCacheOptions<Spec>) {
    this.options = options;
    this.decoder = options.decoder;
  }

  /** The ready image of `key` (and it becomes the most recently drawn), or null. */
  get(key: string): TileImage | null {
    const image = this.drawn.get(key);
    if (image === undefined) return null;
    this.drawn.delete(key);
    this.drawn.set(key, image);
    return image;
  }

  /** This frame shows `key` and has no image for it. */
  want(key: string, spec: Spec): void {
    if (!this.drawn.has(key)) this.wanted.set(key, spec);
  }

  /** What is in flight, for tests and the canvas's data attributes. */
  counts() {
    return { drawn: this.drawn.size, fetching: this.fetching.size, arrived: this.arrived.size, decoding: this.decoding.size };
  }

  endFrame(): void {
    const { wanted } = this;
    for (const [key, controller] of this.fetching) {
      if (wanted.has(key)) continue;
      controller.abort();
      this.fetching.delete(key);
    }
    for (const key of this.arrived.keys()) if (!wanted.has(key)) this.arrived.delete(key);
    let budget = this.options.decodesPerFrame ?? (this.decoder.where === 'worker' ? 8 : 2);
    for (const [key, raw] of this.arrived) {
      if (budget-- <= 0) break;
      this.arrived.delete(key);
      this.decode(key, raw);
    }
    const maxFetches = this.options.maxFetches ?? 6;
    const now = this.now();
    for (const [key, spec] of wanted) {
      if (this.fetching.size >= maxFetches) break;
      if (this.fetching.has(key) || this.arrived.has(key) || this.decoding.has(key)) continue;
      const failedAt = this.failed.get(key);
      if (failedAt !== undefined && now - failedAt < (this.options.retryMs ?? 5000)) continue;
      this.failed.delete(key);
      this.fetch(key, spec);
    }
    wanted.clear();
    if (this.arrived.size > 0) this.options.onReady();
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of this.fetching.values()) controller.abort();
    this.fetching.clear();
    this.arrived.clear();
    for (const image of this.drawn.values()) close(image);
    this.drawn.clear();
    this.decoder.dispose();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private fetch(key: string, spec: Spec): void {
    const controller = new AbortController();
    this.fetching.set(key, controller);
    this.options.fetchTile(spec, controller.signal).then(
      (raw) => {
        if (this.fetching.get(key) !== controller) return;
        this.fetching.delete(key);
        this.arrived.set(key, raw);
        this.options.onReady();
      },
      () => {
        if (this.fetching.get(key) !== controller) return; // aborted: it left the view
        this.fetching.delete(key);
        this.failed.set(key, this.now());
      },
    );
  }

  private decode(key: string, raw: RawTile): void {
    this.decoding.add(key);
    this.decoder.decode(raw.bytes, raw.rows, raw.cols).then(
      (image) => {
        this.decoding.delete(key);
        if (this.disposed) return close(image);
        this.store(key, image);
        this.options.onReady();
      },
      (error: unknown) => {
        this.decoding.delete(key);
        if (!(error instanceof TileWorkerLost)) this.failed.set(key, this.now());
        if (!this.disposed) this.options.onReady();
      },
    );
  }

  private store(key: string, image: TileImage): void {
    const max = this.options.maxDrawn ?? 400;
    this.drawn.set(key, image);
    for (const [old, evicted] of this.drawn) {
      if (this.drawn.size <= max) break;
      this.drawn.delete(old);
      close(evicted);
    }
  }
}

function close(image: TileImage): void {
  if ('close' in image) image.close();
}
