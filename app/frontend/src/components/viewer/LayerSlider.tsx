/** Layer slider (0-based, like the API) with play/pause through the layers. */
export function LayerSlider({
  layer,
  layers,
  onChange,
  playing,
  onTogglePlay,
  label = 'Layer',
}: {
  layer: number;
  layers: number;
  onChange: (layer: number) => void;
  playing: boolean;
  onTogglePlay: () => void;
  label?: string;
}) {
  const single = layers <= 1;
  return (
    <div className="control layer-slider">
      <div className="control-label">
        <label htmlFor="layer-slider">{label}</label>
        <span className="control-value" data-testid="layer-value">
          {layer} <span className="muted">/ {layers - 1}</span>
        </span>
      </div>
      <div className="layer-row">
        <button
          type="button"
          className="button button-icon"
          onClick={onTogglePlay}
          disabled={single}
          aria-label={playing ? 'Pause' : 'Play through the layers'}
          title={playing ? 'Pause (space)' : 'Play through the layers (space)'}
          data-testid="play"
        >
          {playing ? '❚❚' : '▶'}
        </button>
        <input
          id="layer-slider"
          type="range"
          min={0}
          max={Math.max(0, layers - 1)}
          step={1}
          value={layer}
          disabled={single}
          onChange={(event) => onChange(Number(event.target.value))}
          data-testid="layer-slider"
        />
      </div>
      {single && <p className="hint">This method has a single layer.</p>}
    </div>
  );
}
