import type { ReactNode } from 'react';
import { FUSIONS, type Fusion, type ModelInfo } from '../api/types';
import { COLORMAPS, cssGradient } from '../lib/colormaps';
import { NORM_HELP, NORM_LABELS, NORM_MODES } from '../lib/normalise';
import { methodHelp, methodLabel } from '../lib/methods';
import { layerAtFraction, layerFraction } from '../lib/render';
import { hasPerHead, isVlm, methodHeads, methodLayers, type ResolvedView } from '../state/resolveView';
import type { ViewParams } from '../state/viewParams';
import type { HistoryMode } from '../state/viewStore';
import { HeadSelect } from './HeadSelect';
import { LayerSlider } from './LayerSlider';
import { RandomWeightsBadge } from './RandomWeightsBadge';

/** The line under the model selector: checkpoint, grid, depth and heads. */
export function modelSummary(model: ModelInfo, view?: Pick<ResolvedView, 'layers' | 'heads'>): string {
  const layers = view?.layers ?? model.layers;
  const heads = view?.heads ?? model.heads;
  const grid = model.grid !== null ? `${model.grid[0]}×${model.grid[1]} grid` : 'grid per image';
  const vlm = isVlm(model) ? ` · VLM, patch ${model.patch}${model.merge ? `, ${model.merge}×${model.merge} merge` : ''}` : '';
  return `${model.checkpoint}${vlm} · ${grid} · ${layers} layers · ${heads} heads`;
}

const FUSION_HELP: Record<Fusion, string> = {
  mean: 'mean over heads (the stored fused map)',
  max: 'elementwise max over heads',
  min: 'elementwise min over heads',
};

export interface ControlsProps {
  view: ResolvedView;
  params: ViewParams;
  update: (patch: Partial<ViewParams>, history?: HistoryMode) => void;
  playing: boolean;
  onTogglePlay: () => void;
  annotations: number;
  /** sections shown after the map's controls (the image's metrics) */
  children?: ReactNode;
}

/**
 * Choose a model, keeping the depth (layer fraction), the method and the head where possible; a
 * VLM's prompt is kept by its text (token indices differ between tokenizers: the answer is shown).
 */
export function switchModel(view: ResolvedView, next: ModelInfo): Partial<ViewParams> {
  const method = next.methods.includes(view.method) ? view.method : next.methods[0]!;
  const layers = methodLayers(next, method);
  const layer = layerAtFraction(layerFraction(view.layer, view.layers), layers);
  const head = view.head !== null && hasPerHead(next, method) && view.head < methodHeads(next, method) ? view.head : null;
  let prompt: number | null = null;
  if (method === 'text' && view.prompt !== null) {
    const text = view.model.prompts?.[view.prompt];
    const index = text === undefined ? -1 : (next.prompts ?? []).indexOf(text);
    prompt = index >= 0 ? index : null;
  }
  return { model: next.key, method, prompt, token: null, layer, head };
}

export function switchMethod(view: ResolvedView, method: string): Partial<ViewParams> {
  const layers = methodLayers(view.model, method);
  const layer = layerAtFraction(layerFraction(view.layer, view.layers), layers);
  const perHead = hasPerHead(view.model, method);
  const head = view.head !== null && perHead && view.head < methodHeads(view.model, method) ? view.head : null;
  return { method, prompt: null, token: null, layer, head, fusion: perHead ? view.fusion : 'mean' };
}

export function ControlsPanel({ view, params, update, playing, onTogglePlay, annotations, children }: ControlsProps) {
  const { model } = view;
  const compare = params.mode === 'compare';
  const showHead = view.perHead && !compare && params.mode !== 'heads';
  const showFusion = view.perHead && (view.head === null || compare) && params.mode !== 'heads';
  return (
    <aside className="controls" aria-label="View controls" data-testid="controls">
      <section className="controls-section">
        <h3>Map</h3>
        <div className="control">
          <div className="control-label">
            <label htmlFor="model-select">{compare ? 'Reference model' : 'Model'}</label>
            <RandomWeightsBadge weights={model.weights} compact />
          </div>
          <select
            id="model-select"
            value={model.key}
            onChange={(event) => {
              const next = view.available.find((m) => m.key === event.target.value);
              if (next === undefined) return;
              const patch = switchModel(view, next);
              if (compare) patch.compare = [next.key, ...view.compare.map((m) => m.key).filter((k) => k !== next.key)];
              update(patch);
            }}
            data-testid="model-select"
          >
            {view.available.map((m) => (
              <option key={m.key} value={m.key}>
                {m.key}
                {m.weights === 'random' ? ' (random weights)' : ''}
              </option>
            ))}
          </select>
          <p className="hint" title={model.checkpoint} data-testid="model-summary">
            {modelSummary(model, view)}
          </p>
        </div>

        <div className="control">
          <div className="control-label">
            <label htmlFor="method-select">Method</label>
          </div>
          <select
            id="method-select"
            value={view.method}
            onChange={(event) => update(switchMethod(view, event.target.value))}
            data-testid="method-select"
          >
            {model.methods.map((m) => (
              <option key={m} value={m} title={methodHelp(model, m)}>
                {methodLabel(model, m)}
              </option>
            ))}
          </select>
          {methodHelp(model, view.method) && <p className="hint">{methodHelp(model, view.method)}</p>}
        </div>

        <LayerSlider
          layer={view.layer}
          layers={view.layers}
          onChange={(layer) => update({ layer })}
          playing={playing}
          onTogglePlay={onTogglePlay}
          label={compare ? `Layer of ${model.key}` : 'Layer'}
        />

        {showHead && <HeadSelect head={view.head} heads={view.heads} onChange={(head) => update({ head })} />}
        {!view.perHead && (
          <p className="hint" data-testid="no-heads-hint">
            {view.method === 'rollout'
              ? 'Rollout is defined on the mean over heads: no per-head maps.'
              : model.per_head
                ? `${model.key}/${view.method} has no per-head maps.`
                : `Per-head maps of ${model.key} were not precomputed (precompute --per-head).`}
          </p>
        )}
        {compare && (
          <p className="hint control">
            The other models show the layer at the same depth, round(fraction × (L − 1)), fused over their heads.
          </p>
        )}

        {showFusion && (
          <div className="control">
            <div className="control-label">
              <span id="fusion-label">Fusion over heads</span>
            </div>
            <div className="segmented" role="radiogroup" aria-labelledby="fusion-label" data-testid="fusion">
              {FUSIONS.map((f) => (
                <button
                  key={f}
                  type="button"
                  role="radio"
                  aria-checked={view.fusion === f}
                  className={view.fusion === f ? 'active' : ''}
                  title={FUSION_HELP[f]}
                  onClick={() => update({ fusion: f, head: null })}
                >
                  {f}
                </button>
              ))}
            </div>
          </div>
        )}
      </section>

      {children}

      <section className="controls-section">
        <h3>Display</h3>
        <div className="control">
          <div className="control-label">
            <span id="cmap-label">Colormap</span>
            <span className="control-value">{params.cmap}</span>
          </div>
          <div className="swatches" role="radiogroup" aria-labelledby="cmap-label" data-testid="colormap">
            {COLORMAPS.map((c) => (
              <button
                key={c}
                type="button"
                role="radio"
                aria-checked={params.cmap === c}
                aria-label={c}
                title={c}
                className={`swatch${params.cmap === c ? ' active' : ''}`}
                style={{ backgroundImage: cssGradient(c) }}
                onClick={() => update({ cmap: c })}
                data-testid={`cmap-${c}`}
              />
            ))}
          </div>
        </div>

        <div className="control">
          <div className="control-label">
            <span id="norm-label">Normalisation</span>
          </div>
          <div className="segmented" role="radiogroup" aria-labelledby="norm-label" data-testid="normalisation">
            {NORM_MODES.map((n) => (
              <button
                key={n}
                type="button"
                role="radio"
                aria-checked={params.norm === n}
                className={params.norm === n ? 'active' : ''}
                title={NORM_HELP[n]}
                onClick={() => update({ norm: n })}
                data-testid={`norm-${n}`}
              >
                {NORM_LABELS[n].replace(' (0–1)', '')}
              </button>
            ))}
          </div>
          <p className="hint">{NORM_HELP[params.norm]}</p>
        </div>

        <div className="control">
          <div className="control-label">
            <label htmlFor="opacity">Opacity</label>
            <span className="control-value">{Math.round(params.opacity * 100)}%</span>
          </div>
          <input
            id="opacity"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={params.opacity}
            onChange={(event) => update({ opacity: Number(event.target.value) })}
            data-testid="opacity"
          />
        </div>

        <div className="control">
          <div className="control-label">
            <span id="interp-label">Cells</span>
          </div>
          <div className="segmented" role="radiogroup" aria-labelledby="interp-label" data-testid="interp">
            {(['smooth', 'crisp'] as const).map((i) => (
              <button
                key={i}
                type="button"
                role="radio"
                aria-checked={params.interp === i}
                className={params.interp === i ? 'active' : ''}
                title={i === 'smooth' ? 'bilinear between cell centres' : 'one flat square per patch'}
                onClick={() => update({ interp: i })}
              >
                {i === 'smooth' ? 'Smooth' : 'Crisp cells'}
              </button>
            ))}
          </div>
        </div>

        <label className="control checkbox" title={annotations === 0 ? 'this image has no annotation boxes' : undefined}>
          <input
            type="checkbox"
            checked={params.boxes}
            onChange={(event) => update({ boxes: event.target.checked })}
            data-testid="boxes-toggle"
          />
          <span>
            Annotation boxes <span className="muted">({annotations})</span>
          </span>
        </label>
      </section>

      <section className="controls-section keys">
        <h3>Keys</h3>
        <dl>
          <dt>← →</dt>
          <dd>layer{view.method === 'text' ? ' (in the token strip: token)' : ''}</dd>
          {view.method === 'text' && (
            <>
              <dt>, .</dt>
              <dd>previous / next token (shift: extend)</dd>
            </>
          )}
          <dt>↑ ↓</dt>
          <dd>head (fused, 0, 1, …)</dd>
          <dt>space</dt>
          <dd>play / pause</dd>
          <dt>m g c</dt>
          <dd>map, all heads, compare</dd>
          <dt>b</dt>
          <dd>boxes on/off</dd>
        </dl>
      </section>
    </aside>
  );
}
