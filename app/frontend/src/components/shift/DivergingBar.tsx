import '../viewer/ColorBar.css';
import { cssGradient } from '../../lib/colormaps';
import { DIVERGING, symmetricTicks, type SymmetricRange } from '../../lib/diverging';
import { toUnit } from '../../lib/normalise';

/** The legend of a signed map: blue … 0 … red over ±max|d|, with the value under the cursor marked. */
export function DivergingBar({ range, marker = null, compact = false }: { range: SymmetricRange; marker?: number | null; compact?: boolean }) {
  const [lo, mid, hi] = symmetricTicks(range);
  return (
    <div
      className={`colorbar${compact ? ' colorbar-compact' : ''}`}
      data-testid="diverging-bar"
      data-extent={range.extent}
      title="variant − base on a symmetric scale ±max|difference|: white is no change, red is where the variant attends more, blue where the base did"
    >
      <div className="colorbar-ramp" style={{ background: cssGradient(DIVERGING) }}>
        <span className="diverging-zero" aria-hidden="true" />
        {marker !== null && <span className="colorbar-marker" style={{ left: `${toUnit(marker, range) * 100}%` }} aria-hidden="true" />}
      </div>
      <div className="colorbar-ticks">
        <span data-testid="diverging-lo">{lo}</span>
        <span className="diverging-mid">{mid}</span>
        <span data-testid="diverging-hi">{hi}</span>
      </div>
      {!compact && <div className="colorbar-mode diverging-caption">variant − base · blue: base more · red: variant more</div>}
    </div>
  );
}
