import type { ModelInfo } from '../../api/types';
import type { TextMode, TextParams, TextView } from '../../state/textParams';
import { SegmentedControl } from '../controls/SegmentedControl';

export interface TextToolbarProps {
  params: TextParams;
  models: readonly ModelInfo[];
  /** the shown model's layers and heads, and whether it stored per-head rows */
  layers: number;
  heads: number;
  perHead: boolean;
  onChange: (patch: Partial<TextParams>) => void;
}

const VIEWS = [
  { value: 'flow' as TextView, label: 'Token flow', testId: 'view-flow' },
  { value: 'matrix' as TextView, label: 'Matrix', testId: 'view-matrix' },
  { value: 'stats' as TextView, label: 'Heads', testId: 'view-stats' },
];
const MODES = [
  { value: 'pays' as TextMode, label: 'pays', title: 'tint the tokens the selected token attends to' },
  { value: 'received' as TextMode, label: 'receives', title: 'tint each token by the attention all later tokens pay it' },
];

/** Model, comparison model, view, layer, head (or fused) and the token-flow mode. */
export function TextToolbar({ params, models, layers, heads, perHead, onChange }: TextToolbarProps) {
  const layer = Math.min(params.layer ?? layers - 1, layers - 1);
  return (
    <div className="text-toolbar">
      <label>
        model{' '}
        <select value={params.model ?? ''} onChange={(e) => onChange({ model: e.target.value, open: [], text: null, token: null })} data-testid="text-model">
          {models.map((m) => (
            <option key={m.key} value={m.key}>
              {m.key}
            </option>
          ))}
        </select>
      </label>
      <label>
        beside{' '}
        <select value={params.compare ?? ''} onChange={(e) => onChange({ compare: e.target.value || null })} data-testid="text-compare">
          <option value="">—</option>
          {models
            .filter((m) => m.key !== params.model)
            .map((m) => (
              <option key={m.key} value={m.key}>
                {m.key}
              </option>
            ))}
        </select>
      </label>
      <span id="text-view-label" className="sr-only">
        view
      </span>
      <SegmentedControl options={VIEWS} value={params.view} onChange={(view) => onChange({ view })} labelledBy="text-view-label" />
      <label>
        layer{' '}
        <input
          type="range"
          min={0}
          max={Math.max(0, layers - 1)}
          value={layer}
          onChange={(e) => onChange({ layer: Number(e.target.value) })}
          data-testid="text-layer"
        />{' '}
        <output>{layer}</output>
      </label>
      <label>
        head{' '}
        <select
          value={params.head === null ? '' : String(params.head)}
          disabled={!perHead}
          title={perHead ? undefined : 'stored fused over heads only (precompute --per-head stores every head)'}
          onChange={(e) => onChange({ head: e.target.value === '' ? null : Number(e.target.value) })}
          data-testid="text-head"
        >
          <option value="">fused</option>
          {Array.from({ length: perHead ? heads : 0 }, (_, h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </label>
      {params.view === 'flow' && (
        <>
          <span id="text-mode-label" className="sr-only">
            attention
          </span>
          <SegmentedControl options={MODES} value={params.mode} onChange={(mode) => onChange({ mode })} labelledBy="text-mode-label" testId="text-mode" />
        </>
      )}
    </div>
  );
}
