import { useCallback, useEffect, useMemo, useRef } from 'react';
import { textApi, type TextSlice, type TileQuery } from '../../api/texts';
import { MatrixTileCache } from '../../lib/matrixTileCache';
import { createTileDecoder, type TileImage } from '../../lib/tileDecoder';
import type { TileSpec } from '../../lib/matrixTiles';

function tileKey(slice: TextSlice, t: TileSpec): string {
  return `${slice.model}|${slice.textId}|${slice.layer}|${slice.head}|${t.block}|${t.q0}|${t.k0}`;
}

export interface MatrixTiles {
  /** The ready image of a tile, or null; `fetchMissing` marks a missing one as wanted this frame. */
  get: (t: TileSpec, fetchMissing: boolean) => TileImage | null;
  /** After a frame's `get`s: drop what left the view, decode a few arrivals, start fetches. */
  endFrame: () => void;
  /** Where tiles are decoded ('worker' or 'main'), null before the first effect. */
  where: () => 'worker' | 'main' | null;
}

/**
 * Pooled tiles of one text's matrix (lib/matrixTileCache.ts): fetched as raw float16 bytes, decoded
 * and coloured in a Web Worker (or, without one, a few a frame on the main thread), drawn from ready
 * images only — a frame never waits — and `onReady` is called whenever something lands.
 */
export function useMatrixTiles(slice: TextSlice, onReady: () => void): MatrixTiles {
  const cache = useRef<MatrixTileCache<TileQuery> | null>(null);
  const ready = useRef(onReady);
  useEffect(() => {
    ready.current = onReady;
  }, [onReady]);
  useEffect(() => {
    const created = new MatrixTileCache<TileQuery>({
      fetchTile: (q, signal) => textApi.tileBytes(q, signal),
      decoder: createTileDecoder('magma'),
      onReady: () => ready.current(),
    });
    cache.current = created;
    ready.current();
    return () => {
      created.dispose();
      if (cache.current === created) cache.current = null;
    };
  }, []);

  const get = useCallback(
    (t: TileSpec, fetchMissing: boolean): TileImage | null => {
      const tiles = cache.current;
      if (tiles === null) return null;
      const key = tileKey(slice, t);
      const image = tiles.get(key);
      if (image === null && fetchMissing) tiles.want(key, { ...slice, ...t });
      return image;
    },
    [slice],
  );
  const endFrame = useCallback(() => cache.current?.endFrame(), []);
  const where = useCallback(() => cache.current?.decoder.where ?? null, []);
  return useMemo(() => ({ get, endFrame, where }), [get, endFrame, where]);
}
