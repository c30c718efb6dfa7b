import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../../api/client';
import { imageRankingOptions, useHeadRanking, useImageDetails, useImageRanking, useLayerProgressions, useLeaderboard } from '../../api/hooks';
import type { ImageDetail, ModelInfo, ModelMetricQuery } from '../../api/types';
import { bestAndWorst, depthPoints, modelColor } from '../../lib/charts';
import { COLORMAPS, cssGradient } from '../../lib/colormaps';
import { methodLabel, methodNamer, methodOptionLabel, scoredMethodLabel } from '../../lib/methods';
import { metricHelp } from '../../lib/metrics';
import { allMethods, maxLayers, panelMethod, resolvePanels, type DashboardParams } from '../../state/dashboardParams';
import { methodLayers } from '../../state/resolveView';
import { useDashboardParams, type DashboardUpdate } from '../../state/useDashboardParams';
import { viewPath } from '../../state/viewParams';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { EmptyState, ErrorState, Loading } from '../StatusViews';
import { HeadsTable } from './HeadsTable';
import { LeaderboardChart, type ModelStyle } from './LeaderboardChart';
import { ProgressionChart, type Series } from './ProgressionChart';
import { RANKED_SHOWN, RankedImages } from './RankedImages';

const METRICS_COMMAND = 'precompute --models all --per-head --metrics';

/** The API's hint as a sentence under the title (without repeating it), its `quoted commands` as code. */
function HintText({ text }: { text: string }) {
  const rest = text.replace(/^no metrics yet:\s*/i, '');
  const sentence = rest.charAt(0).toUpperCase() + rest.slice(1);
  return (
    <>
      {sentence.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}
    </>
  );
}

function LabelInput({ value, onChange, labels }: { value: string; onChange: (label: string) => void; labels: string[] }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return;
    const timer = setTimeout(() => onChange(text.trim()), 350);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <>
      <input
        id="dash-label"
        type="search"
        placeholder="all images"
        value={text}
        list="dash-labels"
        onChange={(event) => setText(event.target.value)}
        data-testid="dash-label"
      />
      <datalist id="dash-labels">
        {labels.map((l) => (
          <option key={l} value={l} />
        ))}
      </datalist>
    </>
  );
}

function Toolbar({
  params,
  update,
  metric,
  metrics,
  models,
  labels,
}: {
  params: DashboardParams;
  update: DashboardUpdate;
  metric: string | null;
  metrics: string[];
  models: ModelInfo[];
  labels: string[];
}) {
  const layers = maxLayers(models, params.method);
  const onLabel = useCallback((label: string) => update({ label }, { replace: true }), [update]);
  return (
    <div className="dash-toolbar" data-testid="dash-toolbar">
      <div className="dash-field">
        <label htmlFor="dash-metric">Metric</label>
        <select id="dash-metric" value={metric ?? ''} onChange={(event) => update({ metric: event.target.value })} data-testid="dash-metric">
          {metrics.map((m) => (
            <option key={m} value={m} title={metricHelp(m)}>
              {m}
            </option>
          ))}
        </select>
      </div>
      <div className="dash-field">
        <label htmlFor="dash-method">Method</label>
        <select
          id="dash-method"
          value={params.method ?? ''}
          onChange={(event) => update({ method: event.target.value || null })}
          data-testid="dash-method"
        >
          <option value="">All methods</option>
          {allMethods(models).map((m) => (
            <option key={m} value={m}>
              {methodOptionLabel(models, m)}
            </option>
          ))}
        </select>
      </div>
      <div className="dash-field">
        <label htmlFor="dash-layer">Layer</label>
        <select
          id="dash-layer"
          value={params.layer === null ? '' : String(params.layer)}
          onChange={(event) => update({ layer: event.target.value === '' ? null : Number(event.target.value) })}
          data-testid="dash-layer"
        >
          <option value="">Last layer</option>
          {Array.from({ length: layers }, (_, l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </div>
      <div className="dash-field dash-field-label">
        <label htmlFor="dash-label">Annotation label</label>
        <LabelInput value={params.label} onChange={onLabel} labels={labels} />
      </div>
    </div>
  );
}

function Panel({ title, actions, children, testId, className = '' }: { title: React.ReactNode; actions?: React.ReactNode; children: React.ReactNode; testId?: string; className?: string }) {
  return (
    <section className={`panel ${className}`} data-testid={testId}>
      <div className="panel-header">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

function ColormapSwatches({ value, onChange }: { value: string; onChange: (cmap: (typeof COLORMAPS)[number]) => void }) {
  return (
    <div className="swatches swatches-inline" role="radiogroup" aria-label="Colormap" data-testid="dash-colormap">
      {COLORMAPS.map((c) => (
        <button
          key={c}
          type="button"
          role="radio"
          aria-checked={value === c}
          aria-label={c}
          title={c}
          className={`swatch${value === c ? ' active' : ''}`}
          style={{ backgroundImage: cssGradient(c) }}
          onClick={() => onChange(c)}
        />
      ))}
    </div>
  );
}

function noHeadsReason(model: ModelInfo, method: string): string {
  if (method === 'rollout') return 'Rollout is defined on the mean over heads: it has no per-head maps, so no per-head scores.';
  if (!model.per_head) return `Per-head maps of ${model.key} were not precomputed (precompute --per-head), so there are no per-head scores.`;
  if (!model.per_head_methods.includes(method)) return `${model.key} · ${scoredMethodLabel(model, method)} has no per-head maps.`;
  return `No per-head scores for ${model.key} · ${scoredMethodLabel(model, method)} yet: run ${METRICS_COMMAND}.`;
}

/**
 * The metrics dashboard: a leaderboard of models (fused maps, with CIs and baselines), where in
 * depth localisation appears, every head of one model, and the images it gets most right and
 * wrong. All state is in the URL (state/dashboardParams.ts).
 */
export function Dashboard({ models }: { models: ModelInfo[] }) {
  const [params, update] = useDashboardParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [notes, setNotes] = useState<string[]>([]);
  const [openError, setOpenError] = useState<string | null>(null);

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
  const panelMethodName = panels ? scoredMethodLabel(panels.model, panels.method) : '';

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

  // layer progression: one line per model (its chosen method, or its first)
  const progressionQueries: ModelMetricQuery[] = [];
  const lineModels: { model: ModelInfo; method: string }[] = [];
  if (metric !== null) {
    for (const model of models) {
      const method = panelMethod(model, params.method);
      if (method === null) continue;
      progressionQueries.push({ model: model.key, metric, method, label: params.label });
      lineModels.push({ model, method });
    }
  }
  const progressions = useLayerProgressions(progressionQueries);
  const panelQuery = panels !== null && metric !== null ? { model: panels.model.key, metric, method: panels.method } : null;
  const [panelProgression] = useLayerProgressions(panelQuery ? [{ ...panelQuery, label: params.label }] : []);
  const headRanking = useHeadRanking(panelQuery); // per-head results are not split by label
  const ranking = useImageRanking(
    panelQuery && panels ? { ...panelQuery, layer: panels.layer, head: null, label: params.label } : null,
  );

  const shownIds = useMemo(() => {
    const { best, worst } = bestAndWorst(ranking.data?.images ?? [], RANKED_SHOWN);
    return [...best, ...worst].map((s) => s.image_id);
  }, [ranking.data]);
  const details = useImageDetails(shownIds);
  const detailById = new Map<string, ImageDetail>();
  for (const d of details) if (d.data) detailById.set(d.data.id, d.data);
  const labels = [...new Set([...detailById.values()].flatMap((d) => d.annotations.map((a) => a.label)))].sort();

  if (board.isPending) return <Loading label="Loading the metrics…" />;
  if (board.isError && !(boardError instanceof ApiError && boardError.parameter === 'metric')) {
    return <ErrorState error={board.error} onRetry={() => void board.refetch()} />;
  }
  if (data === undefined) return <Loading label="Loading the metrics…" />;
  if (data.metric === null || metric === null) {
    return (
      <div className="dashboard" data-testid="dashboard">
        <EmptyState title="No metrics yet" command={METRICS_COMMAND}>
          <p data-testid="metrics-hint">
            <HintText text={data.hint ?? 'nothing has been scored yet'} />.
          </p>
          <p>
            Metrics score every map against the annotation boxes of the gallery (a COCO <code>annotations.json</code> beside the images):
            does the model look where the boxes are?
          </p>
        </EmptyState>
      </div>
    );
  }

  const series: Series[] = [];
  const missing: { model: ModelInfo; why: string }[] = [];
  lineModels.forEach(({ model, method }, i) => {
    const result = progressions[i];
    const stats = (result?.data?.layers ?? []).filter((s) => s.method === method && s.head === null);
    if (result?.isPending) return;
    if (stats.length === 0) {
      missing.push({ model, why: result?.isError ? 'failed to load' : 'not scored' });
      return;
    }
    const style = styles(model.key);
    series.push({
      model: model.key,
      method,
      methodName: scoredMethodLabel(model, method),
      layers: methodLayers(model, method),
      color: style.color,
      random: style.random,
      points: depthPoints(stats, methodLayers(model, method)),
    });
  });
  if (params.method !== null) {
    for (const model of models) if (!model.methods.includes(params.method)) missing.push({ model, why: `no ${params.method}` });
  }

  const openHead = async (layer: number, head: number | null) => {
    if (panels === null) return;
    setOpenError(null);
    const q = { model: panels.model.key, metric, method: panels.method, layer, head };
    try {
      const found = await client.fetchQuery(imageRankingOptions(q));
      const top = found.images[0];
      if (top === undefined) {
        setOpenError(`No image is scored for ${panels.model.key} · ${panelMethodName} · layer ${layer}${head === null ? '' : ` · head ${head}`}.`);
        return;
      }
      void navigate(viewPath(top.image_id, { model: panels.model.key, method: panels.method, layer, head, cmap: params.cmap }));
    } catch (error) {
      setOpenError(error instanceof Error ? error.message : String(error));
    }
  };

  const chosenMethod = params.method === null ? null : methodOptionLabel(models, params.method);
  const scope = `${chosenMethod ?? 'all methods'} · ${params.layer === null ? 'last layer' : `layer ${params.layer}`}${params.label ? ` · images with a “${params.label}” box` : ''}`;
  const headStats = (headRanking.data?.heads ?? []).filter((s) => s.method === panels?.method);
  const fusedStats = (panelProgression?.data?.layers ?? []).filter((s) => s.method === panels?.method && s.head === null);

  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="dash-head">
        <div>
          <h1>Dashboard</h1>
          <p className="hint dash-metric-help" data-testid="metric-help">
            <b>{metric}</b>: {metricHelp(metric)}
          </p>
        </div>
        <Toolbar params={params} update={update} metric={metric} metrics={data.metrics} models={models} labels={labels} />
      </div>
      {notes.length > 0 && (
        <div className="notice" role="status" data-testid="notice">
          <ul>
            {notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          <button type="button" className="button button-small" onClick={() => setNotes([])}>
            Dismiss
          </button>
        </div>
      )}

      <Panel
        title={
          <>
            Leaderboard <span className="panel-sub">{scope}</span>
          </>
        }
        actions={board.isFetching ? <span className="spinner" aria-label="updating" /> : undefined}
        testId="leaderboard"
      >
        {data.rows.length === 0 ? (
          <p className="panel-empty" data-testid="leaderboard-empty">
            No scores for {scope}
            {params.label ? ': no scored image has a box with this label' : chosenMethod ? `: no model has ${chosenMethod} maps scored` : ''}.
          </p>
        ) : (
          <LeaderboardChart
            rows={data.rows}
            baselines={data.baselines}
            metric={metric}
            styles={styles}
            methodName={methodName}
            barMethodName={barMethodName}
            selected={panels?.model.key ?? null}
            onSelect={(row) => update({ model: row.model })}
          />
        )}
      </Panel>

      <div className="dash-grid">
        <Panel
          title={
            <>
              Layer progression{' '}
              <span className="panel-sub">
                {chosenMethod ?? "each model's first method"} · fused · {params.label ? `images with a “${params.label}” box` : 'all images'}
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
              baselines={progressions.find((p) => p.data)?.data?.baselines ?? data.baselines}
              metric={metric}
              methodName={methodName}
              selected={panels?.model.key ?? null}
              onSelect={(model) => update({ model })}
            />
          )}
          <div className="legend" data-testid="progression-legend">
            {series.map((s) => (
              <button
                key={s.model}
                type="button"
                className={`legend-item${s.model === panels?.model.key ? ' on' : ''}`}
                onClick={() => update({ model: s.model })}
                aria-pressed={s.model === panels?.model.key}
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

        <Panel
          title={
            <>
              Heads × layers{' '}
              <span className="panel-sub">
                {panels ? `${panelMethodName} · all images` : ''}
              </span>
            </>
          }
          actions={
            <div className="panel-actions">
              <select
                aria-label="Model"
                value={panels?.model.key ?? ''}
                onChange={(event) => update({ model: event.target.value })}
                data-testid="dash-model"
              >
                {models.map((m) => (
                  <option key={m.key} value={m.key}>
                    {m.key}
                    {m.weights === 'random' ? ' (random)' : ''}
                  </option>
                ))}
              </select>
              <RandomWeightsBadge weights={panels?.model.weights} compact />
              <ColormapSwatches value={params.cmap} onChange={(cmap) => update({ cmap })} />
            </div>
          }
          testId="heads-panel"
        >
          {panels === null ? null : headRanking.isPending ? (
            <Loading label="Loading the heads…" />
          ) : headRanking.isError ? (
            <ErrorState error={headRanking.error} onRetry={() => void headRanking.refetch()} compact />
          ) : headStats.length === 0 ? (
            <p className="panel-empty" data-testid="heads-empty">
              {noHeadsReason(panels.model, panels.method)}
            </p>
          ) : (
            <HeadsTable
              heads={headStats}
              fused={fusedStats}
              layers={panels.layers}
              headCount={panels.heads}
              baselines={headRanking.data?.baselines ?? []}
              metric={metric}
              cmap={params.cmap}
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
      </div>

      <Panel
        title={
          <>
            Best and worst images{' '}
            <span className="panel-sub">
              {panels ? `${panels.model.key} · ${panelMethodName} · layer ${panels.layer} · fused` : ''}
              {ranking.data ? ` · ${ranking.data.images.length} scored image${ranking.data.images.length === 1 ? '' : 's'}` : ''}
              {params.label ? ` with a “${params.label}” box` : ''}
            </span>
          </>
        }
        testId="images-panel"
      >
        {panels === null ? null : ranking.isPending ? (
          <Loading label="Loading the images…" />
        ) : ranking.isError ? (
          <ErrorState error={ranking.error} onRetry={() => void ranking.refetch()} compact />
        ) : ranking.data.images.length === 0 ? (
          <p className="panel-empty" data-testid="images-empty">
            No image is scored for {panels.model.key} · {panelMethodName} · layer {panels.layer}: run {METRICS_COMMAND}.
          </p>
        ) : (
          <RankedImages ranking={ranking.data} methodName={panelMethodName} cmap={params.cmap} details={(id) => detailById.get(id)} />
        )}
      </Panel>
    </div>
  );
}

