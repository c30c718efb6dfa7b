import './MapView.css';
import { useState } from 'react';
import { urls } from '../../api/client';
import type { ImageDetail } from '../../api/types';
import { cellAt } from '../../lib/render';
import type { TokenRange } from '../../lib/tokens';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import { AnnotationBoxes } from './AnnotationBoxes';
import { ColorBar } from './ColorBar';
import { ExplainedToken } from './ExplainedToken';
import { HeatmapCanvas } from './HeatmapCanvas';
import { ImageFrame, type FramePoint } from './ImageFrame';
import { ErrorState, Loading } from '../StatusViews';
import type { MapDisplay } from './useMapDisplay';
import { ValueReadout } from './ValueReadout';

/** Which tokens a text map is of, in words: `prompt 0 · tokens 12–30`, `prompt 0 · answer`. */
export function textLabel(prompt: number | null, token: TokenRange | null): string {
  const tokens = token === null ? 'answer' : token.start === token.end ? `token ${token.start}` : `tokens ${token.start}–${token.end}`;
  return `prompt ${prompt ?? 0} · ${tokens}`;
}

export function mapLabel(view: Pick<ResolvedView, 'model' | 'method' | 'layer' | 'head' | 'fusion' | 'prompt' | 'token'>): string {
  const heads = view.head !== null ? `head ${view.head}` : `fused (${view.fusion})`;
  const text =
    view.method === 'text' ? ` · ${textLabel(view.prompt, view.token)}` : view.method === 'gradrollout' && view.prompt !== null ? ` · prompt ${view.prompt}` : '';
  return `${view.model.key} · ${view.method}${text} · layer ${view.layer} · ${heads}`;
}

/** One map over the image, with its colour bar and the value under the cursor. */
export function MapView({
  view,
  params,
  image,
  display,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  display: MapDisplay;
}) {
  const [hover, setHover] = useState<FramePoint | null>(null);
  const { map, range } = display;
  const cell = hover !== null && map !== undefined ? cellAt(hover.x, hover.y, map) : null;
  const value = cell !== null && map !== undefined ? (map.values[cell.row * map.gw + cell.col] ?? null) : null;
  const showError = display.error !== null && display.error !== undefined;
  const aspect = (image.width ?? 1) / (image.height ?? 1);
  return (
    <div className="map-view" style={{ ['--aspect' as string]: String(aspect) }}>
      <div className="stage" data-testid="stage">
        <ImageFrame src={urls.imageFile(image.id)} width={image.width ?? 1} height={image.height ?? 1} onHover={setHover} fit alt={image.id}>
          {map !== undefined && range !== null && !showError && (
            <HeatmapCanvas
              values={map.values}
              gh={map.gh}
              gw={map.gw}
              range={range}
              cmap={params.cmap}
              interp={params.interp}
              opacity={params.opacity}
              label={mapLabel(view)}
            />
          )}
          {params.boxes && <AnnotationBoxes annotations={image.annotations} />}
          {map === undefined && !showError && <Loading overlay label="Loading the map…" />}
          {showError && (
            <div className="frame-overlay">
              <ErrorState error={display.error} onRetry={display.refetch} compact />
            </div>
          )}
        </ImageFrame>
      </div>
      <div className="map-footer">
        {range !== null && <ColorBar cmap={params.cmap} range={range} marker={value} />}
        <div className="map-meta">
          <ValueReadout cell={cell} value={value} range={range} />
          {map !== undefined && (
            <div className="muted map-stats" data-testid="map-stats">
              {map.gh}×{map.gw} cells · min {map.min.toPrecision(3)} · max {map.max.toPrecision(3)}
              {display.stale && ' · loading…'}
            </div>
          )}
          {map !== undefined && view.method === 'gradrollout' && (
            <ExplainedToken imageId={image.id} model={view.model.key} prompt={map.prompt} token={map.token} />
          )}
        </div>
      </div>
    </div>
  );
}
