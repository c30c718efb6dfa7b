import { useHeads, useMap } from '../../api/hooks';
import type { GridMap, HeadMaps, MapQuery } from '../../api/types';
import { resolveRange, type NormMode, type ResolvedRange } from '../../lib/normalise';

export interface MapDisplay {
  query: MapQuery;
  map: GridMap | undefined;
  /** all heads of the layer, when loaded (per-layer normalisation, heads grid) */
  heads: HeadMaps | undefined;
  range: ResolvedRange | null;
  /** the map on screen is the previous one while this one loads */
  stale: boolean;
  pending: boolean;
  error: unknown;
  refetch: () => void;
}

/** One map to draw, with the value range its normalisation asks for. */
export function useMapDisplay(
  spec: MapQuery | null,
  opts: { norm: NormMode; perHead: boolean; wantHeads?: boolean },
): MapDisplay {
  const query: MapQuery = spec ?? { imageId: '', model: '', method: '', layer: 0, head: null, fusion: 'mean' };
  const map = useMap(spec);
  const needHeads = spec !== null && opts.perHead && (opts.norm === 'layer' || opts.wantHeads === true);
  const heads = useHeads(
    needHeads
      ? { imageId: query.imageId, model: query.model, method: query.method, layer: query.layer, prompt: query.prompt ?? null, token: query.token ?? null }
      : null,
  );
  const layerRange = needHeads && heads.data !== undefined ? { lo: heads.data.min, hi: heads.data.max } : null;
  const range = map.data === undefined ? null : resolveRange(opts.norm, { lo: map.data.min, hi: map.data.max }, layerRange);
  return {
    query,
    map: map.data,
    heads: needHeads ? heads.data : undefined,
    range,
    stale: map.isPlaceholderData,
    pending: map.isPending || map.isFetching,
    error: map.error,
    refetch: () => void map.refetch(),
  };
}
