import './HeadsGrid.css';
import { urls } from '../../api/client';
import type { ImageDetail } from '../../api/types';
import { formatValue, resolveRange } from '../../lib/normalise';
import { headSlice } from '../../lib/render';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import { ColorBar } from './ColorBar';
import { HeatmapCanvas } from './HeatmapCanvas';
import { ImageFrame } from './ImageFrame';
import { textLabel } from './MapView';
import { EmptyState, ErrorState, Loading } from '../StatusViews';
import type { MapDisplay } from './useMapDisplay';

/**
 * Every head of the current layer as small multiples (one `/heads` request), plus the fused map;
 * click one to open it. Normalisation: per map = each its own range; per layer = one shared range.
 */
export function HeadsGrid({
  view,
  params,
  image,
  display,
  onSelect,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  display: MapDisplay;
  onSelect: (head: number | null) => void;
}) {
  if (!view.perHead) {
    return (
      <EmptyState title="No per-head maps here">
        {view.method === 'rollout'
          ? `Rollout is defined on the mean over heads, so it has no per-head maps. Choose ${view.model.per_head_methods.join(', ') || 'another method'}.`
          : `Per-head maps of ${view.model.key}/${view.method} were not precomputed; rerun with --per-head.`}
      </EmptyState>
    );
  }
  const heads = display.heads;
  if (heads === undefined) {
    return display.error ? <ErrorState error={display.error} onRetry={display.refetch} /> : <Loading label="Loading every head…" />;
  }
  const shape = { gh: heads.gh, gw: heads.gw };
  const layerRange = { lo: heads.min, hi: heads.max };
  const thumb = urls.thumbnail(image.id, 256);
  const width = image.width ?? 1;
  const height = image.height ?? 1;
  const fused = display.map;
  const fusedRange = fused ? resolveRange(params.norm, { lo: fused.min, hi: fused.max }, layerRange) : null;
  const sharedRange = resolveRange(params.norm, layerRange, layerRange);
  return (
    <div className="heads-view">
      <div className="heads-header">
        <h2>
          {view.model.key} · {view.method}
          {view.method === 'text' ? ` · ${textLabel(view.prompt, view.token)}` : ''} · layer {view.layer}: {heads.heads} heads
        </h2>
        {params.norm !== 'map' && <ColorBar cmap={params.cmap} range={sharedRange} compact />}
      </div>
      <div className="heads-grid" data-testid="heads-grid">
        {fused !== undefined && fusedRange !== null && (
          <button
            type="button"
            className={`head-cell${view.head === null ? ' selected' : ''}`}
            onClick={() => onSelect(null)}
            data-testid="head-cell-fused"
          >
            <ImageFrame src={thumb} width={width} height={height}>
              <HeatmapCanvas values={fused.values} gh={fused.gh} gw={fused.gw} range={fusedRange} cmap={params.cmap} interp={params.interp} opacity={params.opacity} label={`fused ${view.fusion}`} />
            </ImageFrame>
            <span className="head-caption">
              <b>All ({view.fusion})</b>
              <span className="muted">max {formatValue(fused.max)}</span>
            </span>
          </button>
        )}
        {Array.from({ length: heads.heads }, (_, h) => {
          const values = headSlice(heads.values, h, shape);
          const range = resolveRange(params.norm, { lo: heads.headMin[h] ?? 0, hi: heads.headMax[h] ?? 0 }, layerRange);
          return (
            <button
              key={h}
              type="button"
              className={`head-cell${view.head === h ? ' selected' : ''}`}
              onClick={() => onSelect(h)}
              data-testid={`head-cell-${h}`}
              title={`Open head ${h}`}
            >
              <ImageFrame src={thumb} width={width} height={height}>
                <HeatmapCanvas values={values} gh={heads.gh} gw={heads.gw} range={range} cmap={params.cmap} interp={params.interp} opacity={params.opacity} label={`head ${h}`} />
              </ImageFrame>
              <span className="head-caption">
                <b>Head {h}</b>
                <span className="muted">max {formatValue(heads.headMax[h] ?? 0)}</span>
              </span>
            </button>
          );
        })}
      </div>
    </div>
  );
}
