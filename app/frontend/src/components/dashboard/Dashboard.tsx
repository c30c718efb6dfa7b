import './Dashboard.css';
import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../../api/client';
import { useLeaderboard } from '../../api/hooks';
import type { ModelInfo } from '../../api/types';
import { modelColor } from '../../lib/charts';
import { methodLabel, methodNamer, methodOptionLabel } from '../../lib/methods';
import { metricHelp } from '../../lib/metrics';
import { storedBase } from '../../lib/variants';
import { resolvePanels, type DashboardParams } from '../../state/dashboardParams';
import { useDashboardParams } from '../../state/useDashboardParams';
import { ErrorState, Loading, Notice } from '../StatusViews';
import { DashboardToolbar } from './DashboardToolbar';
import { FaithfulnessPanel } from './FaithfulnessPanel';
import { HeadsPanel } from './HeadsPanel';
import { ImagesPanel } from './ImagesPanel';
import type { ModelStyle } from './LeaderboardChart';
import { LeaderboardPanel } from './LeaderboardPanel';
import { NoMetrics } from './NoMetrics';
import { ProgressionPanel } from './ProgressionPanel';
import { ShiftMetricsPanel } from '../shift/ShiftMetricsPanel';
import { VariantShifts } from '../shift/VariantShifts';
import { useRankedImages } from './useRankedImages';

/**
 * The metrics dashboard: a leaderboard of models (fused maps, with CIs and baselines), where in
 * depth localisation appears, every head of one model, and the images it gets most right and
 * wrong. All state is in the URL (state/dashboardParams.ts).
 */
export function Dashboard({ models }: { models: ModelInfo[] }) {
  const [params, update] = useDashboardParams();
  const [notes, setNotes] = useState<string[]>([]);

  const board = useLeaderboard({ metric: params.metric, method: params.method, layer: params.layer, label: params.label });
  const data = board.data;
  const metric = data?.metric ?? null;

  const styles = useMemo(() => {
    const byKey = new Map<string, ModelStyle>(models.map((m, i) => [m.key, { color: modelColor(i), random: m.weights === 'random' }]));
    return (key: string): ModelStyle => byKey.get(key) ?? { color: '#8e96a5', random: false };
  }, [models]);

  const panels = useMemo(() => (data ? resolvePanels(params, models, data.rows) : null), [data, params, models]);
  // methods by the viewer's names (a VLM's "Vision mean"; its text maps are scored as the answer's)
  const methodName = useMemo(() => methodNamer(models), [models]);
  const barMethodName = useMemo(() => methodNamer(models, methodLabel), [models]);

  // An unknown metric in the URL: say so and show the default one.
  const boardError = board.error;
  useEffect(() => {
    if (boardError instanceof ApiError && boardError.status === 400 && boardError.parameter === 'metric' && params.metric !== null) {
      setNotes([boardError.message]);
      update({ metric: null }, { replace: true });
    }
  }, [boardError, params.metric, update]);

  // Write what was resolved (metric, model) into the URL, so the link keeps showing the same thing.
  const placeholder = board.isPlaceholderData;
  useEffect(() => {
    if (data === undefined || placeholder || data.metric === null || panels === null) return;
    const patch: Partial<DashboardParams> = {};
    if (params.metric === null) patch.metric = data.metric;
    if (params.model !== panels.model.key) patch.model = panels.model.key;
    if (Object.keys(patch).length > 0) {
      if (panels.notes.length > 0) setNotes(panels.notes);
      update(patch, { replace: true });
    }
  }, [data, placeholder, panels, params.metric, params.model, update]);

  useEffect(() => {
    document.title = `Dashboard${metric ? ` · ${metric}` : ''} — ssl-attention`;
  }, [metric]);

  const images = useRankedImages(
    panels !== null && metric !== null
      ? { model: panels.model.key, metric, method: panels.method, layer: panels.layer, head: null, label: params.label }
      : null,
  );

  if (board.isPending) return <Loading label="Loading the metrics…" />;
  if (board.isError && !(boardError instanceof ApiError && boardError.parameter === 'metric')) {
    return <ErrorState error={board.error} onRetry={() => void board.refetch()} />;
  }
  if (data === undefined) return <Loading label="Loading the metrics…" />;
  if (data.metric === null || metric === null) {
    return (
      <NoMetrics hint={data.hint}>
        <VariantShifts models={models} model={params.model} method={params.method} cmap={params.cmap} />
        <FaithfulnessPanel />
      </NoMetrics>
    );
  }

  const chosenMethod = params.method === null ? null : methodOptionLabel(models, params.method);
  const scope = `${chosenMethod ?? 'all methods'} · ${params.layer === null ? 'last layer' : `layer ${params.layer}`}${params.label ? ` · images with a “${params.label}” box` : ''}`;
  const selected = panels?.model.key ?? null;
  const select = (model: string) => update({ model });
  const base = panels !== null ? storedBase(panels.model, models) : null;

  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="dash-head">
        <div>
          <h1>Dashboard</h1>
          <p className="hint dash-metric-help" data-testid="metric-help">
            <b>{metric}</b>: {metricHelp(metric)}
          </p>
        </div>
        <DashboardToolbar params={params} update={update} metric={metric} metrics={data.metrics} models={models} labels={images.labels} />
      </div>
      <Notice notes={notes} onDismiss={() => setNotes([])} />

      <LeaderboardPanel
        board={data}
        metric={metric}
        scope={scope}
        label={params.label}
        chosenMethod={chosenMethod}
        fetching={board.isFetching}
        styles={styles}
        methodName={methodName}
        barMethodName={barMethodName}
        selected={selected}
        onSelect={select}
      />

      <div className="dash-grid">
        <ProgressionPanel
          models={models}
          metric={metric}
          method={params.method}
          label={params.label}
          chosenMethod={chosenMethod}
          styles={styles}
          methodName={methodName}
          fallbackBaselines={data.baselines}
          selected={selected}
          onSelect={select}
        />
        <HeadsPanel
          models={models}
          panels={panels}
          metric={metric}
          label={params.label}
          cmap={params.cmap}
          onModel={select}
          onColormap={(cmap) => update({ cmap })}
        />
      </div>

      {panels !== null && base !== null && (
        <ShiftMetricsPanel model={panels.model} base={base} method={panels.method} layers={panels.layers} heads={panels.heads} cmap={params.cmap} />
      )}

      <FaithfulnessPanel />

      <ImagesPanel panels={panels} ranking={images.ranking} label={params.label} cmap={params.cmap} details={images.detail} />
    </div>
  );
}
