import '../viewer/CompareView.css';
import './ShiftView.css';
import { useMemo, useState } from 'react';
import { ApiError } from '../../api/client';
import { usePrefetchNeighbours, useShift } from '../../api/hooks';
import type { ImageDetail, ModelInfo } from '../../api/types';
import { formatDistance, symmetricRange, DIVERGING } from '../../lib/diverging';
import type { ResolvedRange } from '../../lib/normalise';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import { ColorBar } from '../viewer/ColorBar';
import type { FramePoint } from '../viewer/ImageFrame';
import { mapLabel } from '../viewer/MapView';
import { useMapDisplay, type MapDisplay } from '../viewer/useMapDisplay';
import { ShiftFigure, valueAt } from './ShiftFigure';
import { basePrompt } from './shiftQueries';
import { DivergingBar } from './DivergingBar';

/** Both maps on one scale (the union of their ranges), so their colours compare directly. */
export function sharedRange(a: ResolvedRange | null, b: ResolvedRange | null): ResolvedRange | null {
  if (a === null || b === null) return a ?? b;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), mode: a.mode };
}

/** Why a difference cannot be shown, in words (the API's own message for a 409: grids differ). */
function shiftError(error: unknown): unknown {
  if (error instanceof ApiError && (error.status === 404 || error.status === 405) && error.parameter === null && /not found|method not allowed/i.test(error.message)) {
    return new ApiError(error.status, 'this API has no /shift endpoint yet: the difference needs a newer API');
  }
  return error;
}

/**
 * "vs base": a variant's map beside its base's at the same layer, head and tokens (one scale for
 * both), and the signed difference `variant − base` on a diverging scale centred on 0, with the
 * total-variation distance of the two maps. The cursor is shared by the three panels.
 */
export function ShiftView({
  view,
  params,
  image,
  base,
  variant,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  base: ModelInfo;
  /** the variant's map: the viewer's own display */
  variant: MapDisplay;
}) {
  const [hover, setHover] = useState<FramePoint | null>(null);
  const baseDisplay = useMapDisplay(
    { ...variant.query, model: base.key, prompt: basePrompt(view.model, base, variant.query.prompt ?? null) },
    { norm: params.norm, perHead: view.perHead },
  );
  // the base's neighbouring layers and heads too, so a key press redraws both panels from the cache
  usePrefetchNeighbours(baseDisplay.query, { layers: view.layers, heads: view.perHead ? view.heads : null, wholeDepth: false, headsOfLayer: false });
  const shiftQuery = useMemo(() => ({ ...variant.query, base: base.key }), [variant.query, base.key]);
  const shift = useShift(shiftQuery);
  const diff = shift.data;
  const diffRange = useMemo(() => (diff === undefined ? null : symmetricRange(diff.values)), [diff]);
  const range = sharedRange(baseDisplay.range, variant.range);
  const where = mapLabel(view).split(' · ').slice(1).join(' · ');
  const error = shiftError(shift.error);
  return (
    <div className="shift-view" data-testid="shift-view">
      <p className="muted compare-note shift-note">
        {where} · base and variant on one scale ·{' '}
        <span data-testid="shift-distance" data-distance={diff?.distance ?? ''}>
          distance (total variation) <b>{error === null ? formatDistance(diff?.distance) : '—'}</b>
        </span>
        {shift.isPlaceholderData && ' · loading…'}
      </p>
      <div className="compare-grid compare-3 shift-grid">
        <ShiftFigure
          testId="shift-base"
          title={`${base.key} (base)`}
          subtitle={base.checkpoint}
          weights={baseDisplay.map?.weights ?? base.weights}
          image={image}
          params={params}
          map={baseDisplay.map}
          range={range}
          cmap={params.cmap}
          label={`${base.key} · ${where}`}
          error={baseDisplay.error}
          onRetry={baseDisplay.refetch}
          hover={hover}
          onHover={setHover}
          legend={range !== null && <ColorBar cmap={params.cmap} range={range} compact marker={valueAt(baseDisplay.map, hover)} />}
        />
        <ShiftFigure
          testId="shift-variant"
          title={view.model.key}
          subtitle={view.model.checkpoint}
          weights={variant.map?.weights ?? view.model.weights}
          image={image}
          params={params}
          map={variant.map}
          range={range}
          cmap={params.cmap}
          label={mapLabel(view)}
          error={variant.error}
          onRetry={variant.refetch}
          hover={hover}
          onHover={setHover}
          legend={range !== null && <ColorBar cmap={params.cmap} range={range} compact marker={valueAt(variant.map, hover)} />}
        />
        <ShiftFigure
          testId="shift-diff"
          title={`${view.model.key} − ${base.key}`}
          subtitle="signed difference"
          weights={undefined}
          image={image}
          params={params}
          map={diff}
          range={diffRange}
          cmap={DIVERGING}
          label={`${view.model.key} − ${base.key} · ${where}`}
          error={error}
          onRetry={() => void shift.refetch()}
          hover={hover}
          onHover={setHover}
          legend={diffRange !== null && <DivergingBar range={diffRange} marker={valueAt(diff, hover)} />}
        />
      </div>
    </div>
  );
}
