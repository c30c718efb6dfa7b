import './ControlsPanel.css';
import type { ReactNode } from 'react';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import type { HistoryMode } from '../../state/viewStore';
import { DisplayControls } from './DisplayControls';
import { MapControls } from './MapControls';

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

/** The viewer's sidebar: which map, the sections passed in (the image's metrics), how it is drawn, the keys. */
export function ControlsPanel({ view, params, update, playing, onTogglePlay, annotations, children }: ControlsProps) {
  return (
    <aside className="controls" aria-label="View controls" data-testid="controls">
      <MapControls view={view} params={params} update={update} playing={playing} onTogglePlay={onTogglePlay} />
      {children}
      <DisplayControls params={params} update={update} annotations={annotations} />
      <KeysHelp text={view.method === 'text'} vs={view.base !== null} />
    </aside>
  );
}

/** The keyboard shortcuts (a VLM's text maps add the token keys). */
function KeysHelp({ text, vs }: { text: boolean; vs: boolean }) {
  return (
    <section className="controls-section keys">
      <h3>Keys</h3>
      <dl>
        <dt>← →</dt>
        <dd>layer{text ? ' (in the token strip: token)' : ''}</dd>
        {text && (
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
        {vs && (
          <>
            <dt>v</dt>
            <dd>vs base (this variant, its base, the difference)</dd>
          </>
        )}
        <dt>b</dt>
        <dd>boxes on/off</dd>
      </dl>
    </section>
  );
}
