import '../dashboard/HeadsTable.css';
import '../viewer/ColorBar.css';
import './ShiftTable.css';
import { useState } from 'react';
import type { ShiftCell } from '../../api/types';
import { heatColour } from '../../lib/charts';
import { cssGradient, type ColormapName } from '../../lib/colormaps';
import { toUnit } from '../../lib/normalise';
import { describeShift, FUSED_HEAD, shiftCellName, shiftGrid, shiftRange } from '../../lib/shift';

export interface ShiftChoice {
  layer: number;
  /** null = the fused map */
  head: number | null;
}

/**
 * Which heads did the adapter change: the mean distance (total variation) between the variant's and
 * the base's maps per layer (rows) × head (columns, then the fused map), coloured over 0 … the largest.
 * Hover a cell for its CI; click it to list the images that moved most, opening at that layer and head.
 */
export function ShiftTable({
  cells,
  layers,
  heads,
  cmap,
  chosen,
  onChoose,
}: {
  cells: ShiftCell[];
  layers: number;
  heads: number;
  cmap: ColormapName;
  chosen: ShiftChoice | null;
  onChoose: (choice: ShiftChoice) => void;
}) {
  const [hover, setHover] = useState<ShiftCell | null>(null);
  const grid = shiftGrid(cells, layers, heads);
  const range = shiftRange(cells);

  const td = (c: ShiftCell | null, layer: number, head: number) => {
    const key = head === FUSED_HEAD ? 'fused' : String(head);
    const fusedCol = head === FUSED_HEAD ? 'fused-col' : undefined;
    if (c === null) {
      return (
        <td key={key} className={fusedCol}>
          <span className="heat-cell heat-empty" title="no result">
            ·
          </span>
        </td>
      );
    }
    const colour = heatColour(c.mean, range, cmap);
    const isChosen = chosen !== null && chosen.layer === layer && (chosen.head ?? FUSED_HEAD) === head;
    return (
      <td key={key} className={fusedCol}>
        <button
          type="button"
          className={`heat-cell${c === grid.largest ? ' heat-best' : ''}${isChosen ? ' shift-chosen' : ''}`}
          style={{ background: colour.background, color: colour.text }}
          title={`${shiftCellName(c)}\nmean distance ${describeShift(c)}\nclick: the images that moved most`}
          aria-pressed={isChosen}
          data-testid={`shift-cell-${layer}-${key}`}
          data-mean={c.mean}
          onMouseEnter={() => setHover(c)}
          onFocus={() => setHover(c)}
          onMouseLeave={() => setHover(null)}
          onBlur={() => setHover(null)}
          onClick={() => onChoose({ layer, head: head === FUSED_HEAD ? null : head })}
        >
          {c.mean.toFixed(2)}
        </button>
      </td>
    );
  };

  return (
    <div className="heads-table-wrap">
      <div className="metric-scale" data-testid="shift-scale">
        <div className="colorbar-ramp" style={{ background: cssGradient(cmap) }}>
          {hover !== null && <span className="colorbar-marker" style={{ left: `${toUnit(hover.mean, range) * 100}%` }} aria-hidden="true" />}
        </div>
        <div className="colorbar-ticks">
          <span>0</span>
          <span className="colorbar-mode">mean distance (total variation) over images · 0 = unchanged</span>
          <span>{range.hi.toFixed(2)}</span>
        </div>
      </div>
      <div className="heat-scroll">
        <table className="heat-table" data-testid="shift-table">
          <thead>
            <tr>
              <th scope="col" className="heat-corner">
                layer
              </th>
              {Array.from({ length: grid.heads }, (_, h) => (
                <th key={h} scope="col">
                  H{h}
                </th>
              ))}
              <th scope="col" className="fused-col">
                fused
              </th>
            </tr>
          </thead>
          <tbody>
            {grid.rows.map((row, layer) => (
              <tr key={layer} className={chosen?.layer === layer ? 'heat-row-selected' : undefined}>
                <th scope="row">{layer}</th>
                {row.map((c, head) => td(c, layer, head))}
                {td(grid.fused[layer] ?? null, layer, FUSED_HEAD)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="chart-readout" data-testid="shift-readout">
        {hover !== null ? (
          <>
            <b>{shiftCellName(hover)}</b>: mean distance {describeShift(hover)} — click for the images that moved most
          </>
        ) : grid.largest !== null ? (
          <span className="muted">
            Moved most: {shiftCellName(grid.largest)} ({grid.largest.mean.toFixed(3)}, outlined). Hover a cell for its CI; click it for
            the images.
          </span>
        ) : (
          <span className="muted">Hover a cell for its CI; click it for the images that moved most.</span>
        )}
      </p>
    </div>
  );
}
