import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { imageRankingOptions, useHeadRanking, useLayerProgressions, usePrecomputeCommand } from '../../api/hooks';
import type { ModelInfo } from '../../api/types';
import type { ColormapName } from '../../lib/colormaps';
import { scoredMethodLabel } from '../../lib/methods';
import type { ResolvedPanels } from '../../state/dashboardParams';
import { viewPath } from '../../state/viewParams';
import { ColormapPicker } from '../controls/ColormapPicker';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { ErrorState, Loading } from '../StatusViews';
import { HeadsTable } from './HeadsTable';
import { METRICS_ARGS, Panel } from './Panel';

function noHeadsReason(model: ModelInfo, method: string, metricsCommand: string): string {
  if (method === 'rollout') return 'Rollout is defined on the mean over heads: it has no per-head maps, so no per-head scores.';
  if (!model.per_head) return `Per-head maps of ${model.key} were not precomputed (precompute --per-head), so there are no per-head scores.`;
  if (!model.per_head_methods.includes(method)) return `${model.key} · ${scoredMethodLabel(model, method)} has no per-head maps.`;
  return `No per-head scores for ${model.key} · ${scoredMethodLabel(model, method)} yet: run ${metricsCommand}.`;
}

/**
 * Every head of one model at every layer (per-head results are not split by label), beside the
 * fused map's row; a cell opens that head's best-scored image in the viewer.
 */
export function HeadsPanel({
  models,
  panels,
  metric,
  label,
  cmap,
  onModel,
  onColormap,
}: {
  models: ModelInfo[];
  panels: ResolvedPanels | null;
  metric: string;
  /** the label the fused row's scores are restricted to */
  label: string;
  cmap: ColormapName;
  onModel: (model: string) => void;
  onColormap: (cmap: ColormapName) => void;
}) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [openError, setOpenError] = useState<string | null>(null);
  const metricsCommand = usePrecomputeCommand(METRICS_ARGS);
  const query = panels !== null ? { model: panels.model.key, metric, method: panels.method } : null;
  const [progression] = useLayerProgressions(query ? [{ ...query, label }] : []);
  const ranking = useHeadRanking(query);
  const methodName = panels ? scoredMethodLabel(panels.model, panels.method) : '';
  const headStats = (ranking.data?.heads ?? []).filter((s) => s.method === panels?.method);
  const fusedStats = (progression?.data?.layers ?? []).filter((s) => s.method === panels?.method && s.head === null);

  const openHead = async (layer: number, head: number | null) => {
    if (panels === null) return;
    setOpenError(null);
    const q = { model: panels.model.key, metric, method: panels.method, layer, head };
    try {
      const found = await client.fetchQuery(imageRankingOptions(q));
      const top = found.images[0];
      if (top === undefined) {
        setOpenError(`No image is scored for ${panels.model.key} · ${methodName} · layer ${layer}${head === null ? '' : ` · head ${head}`}.`);
        return;
      }
      void navigate(viewPath(top.image_id, { model: panels.model.key, method: panels.method, layer, head, cmap }));
    } catch (error) {
      setOpenError(error instanceof Error ? error.message : String(error));
    }
  };

  return (
    <Panel
      title={
        <>
          Heads × layers <span className="panel-sub">{panels ? `${methodName} · all images` : ''}</span>
        </>
      }
      actions={
        <div className="panel-actions">
          <select aria-label="Model" value={panels?.model.key ?? ''} onChange={(event) => onModel(event.target.value)} data-testid="dash-model">
            {models.map((m) => (
              <option key={m.key} value={m.key}>
                {m.key}
                {m.weights === 'random' ? ' (random)' : ''}
              </option>
            ))}
          </select>
          <RandomWeightsBadge weights={panels?.model.weights} compact />
          <ColormapPicker value={cmap} onChange={onColormap} inline testId="dash-colormap" />
        </div>
      }
      testId="heads-panel"
    >
      {panels === null ? null : ranking.isPending ? (
        <Loading label="Loading the heads…" />
      ) : ranking.isError ? (
        <ErrorState error={ranking.error} onRetry={() => void ranking.refetch()} compact />
      ) : headStats.length === 0 ? (
        <p className="panel-empty" data-testid="heads-empty">
          {noHeadsReason(panels.model, panels.method, metricsCommand)}
        </p>
      ) : (
        <HeadsTable
          heads={headStats}
          fused={fusedStats}
          layers={panels.layers}
          headCount={panels.heads}
          baselines={ranking.data?.baselines ?? []}
          metric={metric}
          cmap={cmap}
          selectedLayer={panels.layer}
          onOpen={(layer, head) => void openHead(layer, head)}
        />
      )}
      {openError !== null && (
        <p className="panel-error" role="alert" data-testid="open-error">
          {openError}
        </p>
      )}
    </Panel>
  );
}
