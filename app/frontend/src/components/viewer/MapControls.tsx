import './ControlsPanel.css';
import { FUSIONS, type Fusion } from '../../api/types';
import { methodHelp, methodLabel } from '../../lib/methods';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import type { HistoryMode } from '../../state/viewStore';
import { SegmentedControl } from '../controls/SegmentedControl';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { HeadSelect } from './HeadSelect';
import { LayerSlider } from './LayerSlider';
import { TargetSelect } from './TargetSelect';
import { modelSummary, switchMethod, switchModel } from './mapChoices';
import { isVariant } from '../../lib/variants';

const FUSION_HELP: Record<Fusion, string> = {
  mean: 'mean over heads (the stored fused map)',
  max: 'elementwise max over heads',
  min: 'elementwise min over heads',
};
const FUSION_OPTIONS = FUSIONS.map((f) => ({ value: f, label: f, title: FUSION_HELP[f] }));

export interface MapControlsProps {
  view: ResolvedView;
  params: ViewParams;
  update: (patch: Partial<ViewParams>, history?: HistoryMode) => void;
  playing: boolean;
  onTogglePlay: () => void;
}

/** Which map: model, method, layer, head (or why there are no per-head maps) and the fusion over heads. */
export function MapControls({ view, params, update, playing, onTogglePlay }: MapControlsProps) {
  const { model } = view;
  const flat = model.heads === 0; // a CNN: one map per image, no layers or heads to choose
  const compare = params.mode === 'compare';
  const showHead = view.perHead && !compare && params.mode !== 'heads';
  const showFusion = view.perHead && (view.head === null || compare) && params.mode !== 'heads';
  return (
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
              {isVariant(m) ? ` (variant of ${m.base_key})` : ''}
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
        <select id="method-select" value={view.method} onChange={(event) => update(switchMethod(view, event.target.value))} data-testid="method-select">
          {model.methods.map((m) => (
            <option key={m} value={m} title={methodHelp(model, m)}>
              {methodLabel(model, m)}
            </option>
          ))}
        </select>
        {methodHelp(model, view.method) && <p className="hint">{methodHelp(model, view.method)}</p>}
      </div>

      {view.method === 'gradrollout' && (model.prompts ?? []).length > 0 && (
        <TargetSelect targets={model.prompts ?? []} target={view.prompt} onChange={(prompt) => update({ prompt })} />
      )}

      {flat ? (
        <p className="hint control" data-testid="no-layers-hint">
          {model.key} is a CNN: one map per image on its last stage, no layers or heads to choose.
        </p>
      ) : (
        <LayerSlider
          layer={view.layer}
          layers={view.layers}
          onChange={(layer) => update({ layer })}
          playing={playing}
          onTogglePlay={onTogglePlay}
          label={compare ? `Layer of ${model.key}` : 'Layer'}
        />
      )}

      {showHead && <HeadSelect head={view.head} heads={view.heads} onChange={(head) => update({ head })} />}
      {!view.perHead && !flat && (
        <p className="hint" data-testid="no-heads-hint">
          {view.method === 'rollout' || view.method === 'gradrollout'
            ? `${view.method === 'rollout' ? 'Rollout' : 'Gradient relevancy'} is defined on the mean over heads: no per-head maps.`
            : model.per_head
              ? `${model.key}/${view.method} has no per-head maps.`
              : `Per-head maps of ${model.key} were not precomputed (precompute --per-head).`}
        </p>
      )}
      {compare && (
        <p className="hint control">The other models show the layer at the same depth, round(fraction × (L − 1)), fused over their heads.</p>
      )}

      {showFusion && (
        <div className="control">
          <div className="control-label">
            <span id="fusion-label">Fusion over heads</span>
          </div>
          <SegmentedControl options={FUSION_OPTIONS} value={view.fusion} onChange={(fusion) => update({ fusion, head: null })} labelledBy="fusion-label" testId="fusion" />
        </div>
      )}
    </section>
  );
}
