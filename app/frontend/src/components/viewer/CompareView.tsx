import './CompareView.css';
import { useState } from 'react';
import { urls } from '../../api/client';
import type { Fusion, ImageDetail, ModelInfo } from '../../api/types';
import { layerAtFraction, layerFraction, cellAt } from '../../lib/render';
import { formatTokenParam, type TokenRange } from '../../lib/tokens';
import { formatValue } from '../../lib/normalise';
import { hasPerHead, methodLayers, type ResolvedView } from '../../state/resolveView';
import { MAX_COMPARE, MIN_COMPARE, type ViewParams } from '../../state/viewParams';
import { AnnotationBoxes } from './AnnotationBoxes';
import { ColorBar } from './ColorBar';
import { HeatmapCanvas } from './HeatmapCanvas';
import { ImageFrame, type FramePoint } from './ImageFrame';
import { textLabel } from './MapView';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { ErrorState, Loading } from '../StatusViews';
import { useMapDisplay } from './useMapDisplay';

/**
 * The prompt and tokens of a text map in a compare panel: the reference's own; another VLM shows
 * the same prompt (by its text, else its first) and its whole answer (token indices differ between tokenizers).
 */
export function compareText(
  model: ModelInfo,
  reference: Pick<ResolvedView, 'model' | 'prompt' | 'token'>,
): { prompt: number | null; token: TokenRange | null } {
  if (model.key === reference.model.key) return { prompt: reference.prompt, token: reference.token };
  const text = reference.prompt !== null ? reference.model.prompts?.[reference.prompt] : undefined;
  const index = text === undefined ? -1 : (model.prompts ?? []).indexOf(text);
  return { prompt: index >= 0 ? index : 0, token: null };
}

function CompareCell({
  model,
  image,
  method,
  fraction,
  fusion,
  params,
  hover,
  onHover,
  reference,
  view,
}: {
  model: ModelInfo;
  image: ImageDetail;
  method: string;
  fraction: number;
  fusion: Fusion;
  params: ViewParams;
  hover: FramePoint | null;
  onHover: (point: FramePoint | null) => void;
  reference: boolean;
  view: ResolvedView;
}) {
  const available = model.methods.includes(method);
  const perHead = available && hasPerHead(model, method);
  const layers = available ? methodLayers(model, method) : 0;
  const layer = layerAtFraction(fraction, layers);
  const cellFusion: Fusion = perHead ? fusion : 'mean';
  const text = method === 'text' ? compareText(model, view) : { prompt: null, token: null };
  const display = useMapDisplay(
    available
      ? { imageId: image.id, model: model.key, method, layer, head: null, fusion: cellFusion, prompt: text.prompt, token: formatTokenParam(text.token) }
      : null,
    { norm: params.norm, perHead },
  );
  const { map, range } = display;
  const cell = hover !== null && map !== undefined ? cellAt(hover.x, hover.y, map) : null;
  const value = cell !== null && map !== undefined ? (map.values[cell.row * map.gw + cell.col] ?? null) : null;
  return (
    <figure className={`compare-cell${reference ? ' reference' : ''}`} data-testid={`compare-cell-${model.key}`}>
      <figcaption>
        <span className="compare-title">
          <b>{model.key}</b>
          <RandomWeightsBadge weights={model.weights} compact />
        </span>
        <span className="muted" data-testid="compare-layer">
          {available ? `layer ${layer} / ${layers - 1}` : '—'}
          {cellFusion !== fusion ? ' · mean' : ''}
          {available && method === 'text' ? ` · ${textLabel(text.prompt, text.token)}` : ''}
        </span>
      </figcaption>
      <ImageFrame src={urls.imageFile(image.id)} width={image.width ?? 1} height={image.height ?? 1} onHover={onHover} hover={hover}>
        {available && map !== undefined && range !== null && display.error === null && (
          <HeatmapCanvas values={map.values} gh={map.gh} gw={map.gw} range={range} cmap={params.cmap} interp={params.interp} opacity={params.opacity} label={`${model.key} ${method} layer ${layer}`} />
        )}
        {params.boxes && <AnnotationBoxes annotations={image.annotations} labels={false} />}
        {!available && (
          <div className="frame-overlay frame-note" data-testid="compare-unavailable">
            {method === 'cls' && !model.has_cls
              ? `${model.key} has no CLS token`
              : method === 'text'
                ? `${model.key} is not a VLM: no text → image maps`
                : `${model.key} has no ${method} maps`}
            <span className="muted">methods: {model.methods.join(', ')}</span>
          </div>
        )}
        {available && map === undefined && display.error === null && <Loading overlay label="" />}
        {display.error !== null && (
          <div className="frame-overlay">
            <ErrorState error={display.error} compact />
          </div>
        )}
      </ImageFrame>
      {range !== null && available && <ColorBar cmap={params.cmap} range={range} compact marker={value} />}
      <div className="compare-value muted">{value !== null ? `value ${formatValue(value)}` : model.checkpoint}</div>
    </figure>
  );
}

/** 2–6 models side by side on the same image, method and depth (layer fraction), fused over heads. */
export function CompareView({
  view,
  params,
  image,
  onModels,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  onModels: (keys: string[]) => void;
}) {
  const [hover, setHover] = useState<FramePoint | null>(null);
  const fraction = layerFraction(view.layer, view.layers);
  const chosen = view.compare.map((m) => m.key);
  const toggle = (key: string) => {
    if (chosen.includes(key)) {
      if (chosen.length > MIN_COMPARE && key !== view.model.key) onModels(chosen.filter((k) => k !== key));
    } else if (chosen.length < MAX_COMPARE) {
      onModels([...chosen, key]);
    }
  };
  return (
    <div className="compare-view">
      <div className="compare-header">
        <div className="chips" role="group" aria-label="Models to compare" data-testid="compare-models">
          {view.available.map((m) => {
            const on = chosen.includes(m.key);
            const locked = m.key === view.model.key;
            return (
              <button
                key={m.key}
                type="button"
                className={`chip${on ? ' on' : ''}`}
                aria-pressed={on}
                disabled={locked || (!on && chosen.length >= MAX_COMPARE) || (on && chosen.length <= MIN_COMPARE)}
                onClick={() => toggle(m.key)}
                title={locked ? 'the reference model (choose it in Model)' : on ? `remove ${m.key}` : `add ${m.key}`}
                data-testid={`compare-chip-${m.key}`}
              >
                {m.key}
              </button>
            );
          })}
        </div>
        <p className="muted compare-note">
          {view.method} · depth {Math.round(fraction * 100)}% (layer = round(fraction × (L − 1))) · fused ({view.fusion}) ·{' '}
          {view.available.length < MIN_COMPARE ? 'only one model has maps for this image' : `${chosen.length} of up to ${MAX_COMPARE}`}
        </p>
      </div>
      <div className={`compare-grid compare-${view.compare.length}`} data-testid="compare-grid">
        {view.compare.map((m, i) => (
          <CompareCell
            key={m.key}
            model={m}
            image={image}
            method={view.method}
            fraction={fraction}
            fusion={view.fusion}
            params={params}
            hover={hover}
            onHover={setHover}
            reference={i === 0}
            view={view}
          />
        ))}
      </div>
    </div>
  );
}
