import { formatValue, toUnit, type ValueRange } from '../../lib/normalise';

/** The value of the cell under the cursor: where, how much, and where in the colour scale. */
export function ValueReadout({
  cell,
  value,
  range,
}: {
  cell: { row: number; col: number } | null;
  value: number | null;
  range: ValueRange | null;
}) {
  if (cell === null || value === null) {
    return (
      <div className="readout muted" data-testid="readout">
        Point at the image to read a cell's value
      </div>
    );
  }
  return (
    <div className="readout" data-testid="readout">
      <span>
        cell <b>({cell.row}, {cell.col})</b>
      </span>
      <span>
        value <b data-testid="readout-value">{formatValue(value)}</b>
      </span>
      {range !== null && <span className="muted">{Math.round(toUnit(value, range) * 100)}% of scale</span>}
    </div>
  );
}
