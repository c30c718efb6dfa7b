import { useState } from 'react';
import { ApiError } from '../../api/client';
import { usePrecomputeCommand, useShiftMetrics } from '../../api/hooks';
import type { ModelInfo } from '../../api/types';
import type { ColormapName } from '../../lib/colormaps';
import { scoredMethodLabel } from '../../lib/methods';
import { shiftGrid } from '../../lib/shift';
import { METRICS_ARGS, Panel } from '../dashboard/Panel';
import { ErrorState, Loading } from '../StatusViews';
import { ShiftImages } from './ShiftImages';
import { ShiftTable, type ShiftChoice } from './ShiftTable';

/**
 * For a variant: which heads did the adapter (or fine-tune) change — the shift table from
 * `/metrics/shift` — and the images that moved most, opening in the viewer's "vs base" mode.
 */
export function ShiftMetricsPanel({
  model,
  base,
  method,
  layers,
  heads,
  cmap,
}: {
  model: ModelInfo;
  base: ModelInfo;
  method: string;
  layers: number;
  heads: number;
  cmap: ColormapName;
}) {
  const shift = useShiftMetrics({ model: model.key, base: base.key, method });
  const metricsCommand = usePrecomputeCommand(METRICS_ARGS);
  const [picked, setPicked] = useState<(ShiftChoice & { key: string }) | null>(null);
  const key = `${model.key}|${base.key}|${method}`;
  const data = shift.data !== undefined && shift.data.model === model.key && shift.data.method === method ? shift.data : undefined;
  const largest = data !== undefined ? shiftGrid(data.cells, layers, heads).largest : null;
  // the chosen cell (reset when the model or method changes), else the head that moved most, else the last layer fused
  const choice: ShiftChoice =
    picked !== null && picked.key === key ? picked : largest !== null ? { layer: largest.layer, head: largest.head } : { layer: layers - 1, head: null };
  const none = shift.error instanceof ApiError && shift.error.status === 404;
  return (
    <Panel
      title={
        <>
          Shift from the base <span className="panel-sub">{`${model.key} − ${base.key} · ${scoredMethodLabel(model, method)} · which heads changed`}</span>
        </>
      }
      testId="shift-panel"
    >
      {none ? (
        <p className="panel-empty" data-testid="shift-empty">
          No shift of {model.key} from {base.key} is computed for {scoredMethodLabel(model, method)} yet: run {metricsCommand} (with both
          models).
        </p>
      ) : shift.isError ? (
        <ErrorState error={shift.error} onRetry={() => void shift.refetch()} compact />
      ) : data === undefined ? (
        <Loading label="Loading the shift…" />
      ) : (
        <>
          <ShiftTable cells={data.cells} layers={layers} heads={heads} cmap={cmap} chosen={choice} onChoose={(c) => setPicked({ ...c, key })} />
          <ShiftImages images={data.images} model={model.key} method={method} choice={choice} />
        </>
      )}
    </Panel>
  );
}
