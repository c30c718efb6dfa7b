import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { textApi, textKeys, type TextSlice, type TileQuery } from '../../api/texts';
import { colormapLut } from '../../lib/colormaps';
import { tilePixels, type TileSpec } from '../../lib/matrixTiles';

const STALE_MS = 5 * 60_000;
/** Drawn tiles kept as canvases (each at most 256 × 256 pixels: 256 KiB). */
const MAX_DRAWN = 400;

type Drawn = HTMLCanvasElement;

function tileKey(slice: TextSlice, t: TileSpec): string {
  return `${slice.model}|${slice.textId}|${slice.layer}|${slice.head}|${t.block}|${t.q0}|${t.k0}`;
}

/**
 * Pooled tiles of one text's matrix: fetched through TanStack Query (deduplicated, cached), turned
 * into small canvases once, and handed to the draw loop synchronously — `get` answers only from
 * cache (so a frame never waits) and asks for a missing tile, calling `onReady` when it lands.
 */
export function useMatrixTiles(slice: TextSlice, onReady: () => void) {
  const client = useQueryClient();
  const drawn = useRef(new Map<string, Drawn>());
  const pending = useRef(new Set<string>());
  const ready = useRef(onReady);
  useEffect(() => {
    ready.current = onReady;
  }, [onReady]);

  const get = useCallback(
    (t: TileSpec, fetchMissing: boolean): Drawn | null => {
      const key = tileKey(slice, t);
      const hit = drawn.current.get(key);
      if (hit !== undefined || !fetchMissing || pending.current.has(key)) return hit ?? null;
      pending.current.add(key);
      const q: TileQuery = { ...slice, ...t };
      void client
        .fetchQuery({ queryKey: textKeys.tile(q), queryFn: ({ signal }) => textApi.tile(q, signal), staleTime: STALE_MS })
        .then((tile) => {
          const canvas = document.createElement('canvas');
          canvas.width = Math.max(1, tile.cols);
          canvas.height = Math.max(1, tile.rows);
          const context = canvas.getContext('2d');
          if (context !== null && tile.rows > 0 && tile.cols > 0) {
            const pixels = tilePixels(tile.values, tile.rows, tile.cols, colormapLut('magma'));
            context.putImageData(new ImageData(pixels, tile.cols, tile.rows), 0, 0);
          }
          if (drawn.current.size >= MAX_DRAWN) drawn.current.delete(drawn.current.keys().next().value!);
          drawn.current.set(key, canvas);
          ready.current();
        })
        .catch(() => undefined)
        .finally(() => pending.current.delete(key));
      return null;
    },
    [client, slice],
  );
  return get;
}
