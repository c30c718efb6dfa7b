import './charts.css';
import { useLayerProgressions } from '../../api/hooks';
import type { MetricStat, ModelInfo, ModelMetricQuery } from '../../api/types';
import { depthPoints } from '../../lib/charts';
import { scoredMethodLabel, type MethodNamer } from '../../lib/methods';
import { panelMethod } from '../../state/dashboardParams';
import { methodLayers } from '../../state/resolveView';
import { Loading } from '../StatusViews';
import type { ModelStyle } from './LeaderboardChart';
import { Panel } from './Panel';
import { ProgressionChart, type Series } from './ProgressionChart';

/**
 * Where in depth each model's fused maps score best: one line per model (the chosen method, or
 * its first), over relative depth; a legend names every model, and why one has no line.
 */
export function ProgressionPanel({
  models,
  metric,
  method,
  label,
  chosenMethod,
  styles,
  methodName,
  fallbackBaselines,
  selected,
  onSelect,
}: {
  models: ModelInfo[];
  metric: string;
  /** the chosen method; null: each model's first */
  method: string | null;
  label: string;
  chosenMethod: string | null;
  styles: (model: string) => ModelStyle;
  methodName: MethodNamer;
  /** the baselines drawn until a progression has loaded its own */
  fallbackBaselines: MetricStat[];
  selected: string | null;
  onSelect: (model: string) => void;
}) {
  const queries: ModelMetricQuery[] = [];
  const lineModels: { model: ModelInfo; method: string }[] = [];
  for (const model of models) {
    const shown = panelMethod(model, method);
    if (shown === null) continue;
    queries.push({ model: model.key, metric, method: shown, label });
    lineModels.push({ model, method: shown });
  }
  const progressions = useLayerProgressions(queries);

  const series: Series[] = [];
  const missing: { model: ModelInfo; why: string }[] = [];
  lineModels.forEach(({ model, method: shown }, i) => {
    const result = progressions[i];
    const stats = (result?.data?.layers ?? []).filter((s) => s.method === shown && s.head === null);
    if (result?.isPending) return;
    if (stats.length === 0) {
      missing.push({ model, why: result?.isError ? 'failed to load' : 'not scored' });
      return;
    }
    const style = styles(model.key);
    series.push({
      model: model.key,
      method: shown,
      methodName: scoredMethodLabel(model, shown),
      layers: methodLayers(model, shown),
      color: style.color,
      random: style.random,
      points: depthPoints(stats, methodLayers(model, shown)),
    });
  });
  if (method !== null) {
    for (const model of models) if (!model.methods.includes(method)) missing.push({ model, why: `no ${method}` });
  }

  return (
    <Panel
      title={
        <>
          Layer progression{' '}
          <span className="panel-sub">
            {chosenMethod ?? "each model's first method"} · fused · {label ? `images with a “${label}” box` : 'all images'}
          </span>
        </>
      }
      testId="progression"
    >
      {progressions.some((p) => p.isPending) && series.length === 0 ? (
        <Loading label="Loading the layers…" />
      ) : series.length === 0 ? (
        <p className="panel-empty">No per-layer scores for this choice.</p>
      ) : (
        <ProgressionChart
          series={series}
          baselines={progressions.find((p) => p.data)?.data?.baselines ?? fallbackBaselines}
          metric={metric}
          methodName={methodName}
          selected={selected}
          onSelect={onSelect}
        />
      )}
      <div className="legend" data-testid="progression-legend">
        {series.map((s) => (
          <button
            key={s.model}
            type="button"
            className={`legend-item${s.model === selected ? ' on' : ''}`}
            onClick={() => onSelect(s.model)}
            aria-pressed={s.model === selected}
          >
            <span className="legend-swatch" style={{ background: s.color }} />
            {s.model} <span className="muted">{s.methodName}</span>
            {s.random && <span className="legend-random">random</span>}
          </button>
        ))}
        {missing.map(({ model, why }) => (
          <span key={model.key} className="legend-item legend-missing" title={`${model.key}: ${why}`}>
            {model.key} <span className="muted">({why})</span>
          </span>
        ))}
      </div>
    </Panel>
  );
}
