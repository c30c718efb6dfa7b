import './ColorBar.css';
import { cssGradient, type ColormapName } from '../../lib/colormaps';
import { formatValue, NORM_HELP, NORM_LABELS, toUnit, type ResolvedRange } from '../../lib/normalise';

/** The colormap with the value range it spans, and a marker at the value under the cursor. */
export function ColorBar({
  cmap,
  range,
  marker = null,
  compact = false,
}: {
  cmap: ColormapName;
  range: ResolvedRange;
  marker?: number | null;
  compact?: boolean;
}) {
  const mid = (range.lo + range.hi) / 2;
  return (
    <div className={`colorbar${compact ? ' colorbar-compact' : ''}`} data-testid="colorbar" title={NORM_HELP[range.mode]}>
      <div className="colorbar-ramp" style={{ background: cssGradient(cmap) }}>
        {marker !== null && (
          <span className="colorbar-marker" style={{ left: `${toUnit(marker, range) * 100}%` }} aria-hidden="true" />
        )}
      </div>
      <div className="colorbar-ticks">
        <span data-testid="colorbar-lo">{formatValue(range.lo)}</span>
        {!compact && <span className="colorbar-mode">{NORM_LABELS[range.mode]} · attention probability</span>}
        {!compact && <span className="colorbar-mid">{formatValue(mid)}</span>}
        <span data-testid="colorbar-hi">{formatValue(range.hi)}</span>
      </div>
    </div>
  );
}
