import './Dashboard.css';
import { useCallback, useEffect, useState } from 'react';
import type { ModelInfo } from '../../api/types';
import { methodOptionLabel } from '../../lib/methods';
import { metricHelp } from '../../lib/metrics';
import { allMethods, maxLayers, type DashboardParams } from '../../state/dashboardParams';
import type { DashboardUpdate } from '../../state/useDashboardParams';

/** The annotation label filter: typed text is applied after a pause; the labels seen so far are suggested. */
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

/** What every panel is of: the metric, the method, the layer and the annotation label. */
export function DashboardToolbar({
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
