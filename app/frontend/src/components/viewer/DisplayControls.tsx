import './ControlsPanel.css';
import { NORM_HELP, NORM_LABELS, NORM_MODES } from '../../lib/normalise';
import type { Interp, ViewParams } from '../../state/viewParams';
import type { HistoryMode } from '../../state/viewStore';
import { ColormapPicker } from '../controls/ColormapPicker';
import { SegmentedControl, type SegmentedOption } from '../controls/SegmentedControl';

const NORM_OPTIONS = NORM_MODES.map((n) => ({ value: n, label: NORM_LABELS[n].replace(' (0–1)', ''), title: NORM_HELP[n], testId: `norm-${n}` }));

const INTERP_OPTIONS: SegmentedOption<Interp>[] = [
  { value: 'smooth', label: 'Smooth', title: 'bilinear between cell centres' },
  { value: 'crisp', label: 'Crisp cells', title: 'one flat square per patch' },
];

export interface DisplayControlsProps {
  params: ViewParams;
  update: (patch: Partial<ViewParams>, history?: HistoryMode) => void;
  /** how many annotation boxes the image has */
  annotations: number;
}

/** How the map is drawn: colormap, normalisation, opacity, cells, annotation boxes. */
export function DisplayControls({ params, update, annotations }: DisplayControlsProps) {
  return (
    <section className="controls-section">
      <h3>Display</h3>
      <div className="control">
        <div className="control-label">
          <span id="cmap-label">Colormap</span>
          <span className="control-value">{params.cmap}</span>
        </div>
        <ColormapPicker value={params.cmap} onChange={(cmap) => update({ cmap })} labelledBy="cmap-label" testId="colormap" />
      </div>

      <div className="control">
        <div className="control-label">
          <span id="norm-label">Normalisation</span>
        </div>
        <SegmentedControl options={NORM_OPTIONS} value={params.norm} onChange={(norm) => update({ norm })} labelledBy="norm-label" testId="normalisation" />
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
        <SegmentedControl options={INTERP_OPTIONS} value={params.interp} onChange={(interp) => update({ interp })} labelledBy="interp-label" testId="interp" />
      </div>

      <label className="control checkbox" title={annotations === 0 ? 'this image has no annotation boxes' : undefined}>
        <input type="checkbox" checked={params.boxes} onChange={(event) => update({ boxes: event.target.checked })} data-testid="boxes-toggle" />
        <span>
          Annotation boxes <span className="muted">({annotations})</span>
        </span>
      </label>
    </section>
  );
}
