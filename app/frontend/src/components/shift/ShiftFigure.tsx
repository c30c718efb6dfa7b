import type { ReactNode } from 'react';
import { urls } from '../../api/client';
import type { GridMap, ImageDetail, Weights } from '../../api/types';
import type { AnyColormap } from '../../lib/colormaps';
import { formatValue, type ValueRange } from '../../lib/normalise';
import { cellAt } from '../../lib/render';
import type { ViewParams } from '../../state/viewParams';
import { AnnotationBoxes } from '../viewer/AnnotationBoxes';
import { HeatmapCanvas } from '../viewer/HeatmapCanvas';
import { ImageFrame, type FramePoint } from '../viewer/ImageFrame';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { ErrorState, Loading } from '../StatusViews';

/** The value of `map` under `hover` (null outside, or while nothing is loaded). */
export function valueAt(map: GridMap | undefined, hover: FramePoint | null): number | null {
  const cell = hover !== null && map !== undefined ? cellAt(hover.x, hover.y, map) : null;
  return cell !== null && map !== undefined ? (map.values[cell.row * map.gw + cell.col] ?? null) : null;
}

/** One of the "vs base" panels: a map over the image, its legend and the value under the shared cursor. */
export function ShiftFigure({
  testId,
  title,
  subtitle,
  weights,
  image,
  params,
  map,
  range,
  cmap,
  label,
  error,
  onRetry,
  hover,
  onHover,
  legend,
}: {
  testId: string;
  title: ReactNode;
  subtitle: ReactNode;
  weights: Weights | undefined;
  image: ImageDetail;
  params: ViewParams;
  map: GridMap | undefined;
  range: ValueRange | null;
  cmap: AnyColormap;
  label: string;
  error: unknown;
  onRetry?: () => void;
  hover: FramePoint | null;
  onHover: (point: FramePoint | null) => void;
  legend: ReactNode;
}) {
  const failed = error !== null && error !== undefined;
  const value = failed ? null : valueAt(map, hover);
  return (
    <figure className="shift-cell" data-testid={testId}>
      <figcaption>
        <span className="compare-title">
          <b>{title}</b>
          <RandomWeightsBadge weights={weights} compact />
        </span>
        <span className="muted shift-sub">{subtitle}</span>
      </figcaption>
      <ImageFrame src={urls.imageFile(image.id)} width={image.width ?? 1} height={image.height ?? 1} onHover={onHover} hover={hover}>
        {map !== undefined && range !== null && !failed && (
          <HeatmapCanvas values={map.values} gh={map.gh} gw={map.gw} range={range} cmap={cmap} interp={params.interp} opacity={params.opacity} label={label} />
        )}
        {params.boxes && <AnnotationBoxes annotations={image.annotations} labels={false} />}
        {map === undefined && !failed && <Loading overlay label="" />}
        {failed && (
          <div className="frame-overlay">
            <ErrorState error={error} onRetry={onRetry} compact />
          </div>
        )}
      </ImageFrame>
      {!failed && legend}
      <div className="compare-value muted" data-testid={`${testId}-value`}>
        {value !== null ? `value ${formatValue(value)}` : ' '}
      </div>
    </figure>
  );
}
