import './ColormapPicker.css';
import { COLORMAPS, cssGradient, type ColormapName } from '../../lib/colormaps';

export interface ColormapPickerProps {
  value: ColormapName;
  onChange: (cmap: ColormapName) => void;
  /** the id of the element naming the picker; without one it is labelled "Colormap" */
  labelledBy?: string;
  /** a row of small swatches beside other controls (the dashboard's heads panel) */
  inline?: boolean;
  testId?: string;
}

/** The colormaps as gradient swatches (a radio group); each swatch's test id is `cmap-<name>`. */
export function ColormapPicker({ value, onChange, labelledBy, inline = false, testId }: ColormapPickerProps) {
  return (
    <div
      className={`swatches${inline ? ' swatches-inline' : ''}`}
      role="radiogroup"
      aria-labelledby={labelledBy}
      aria-label={labelledBy === undefined ? 'Colormap' : undefined}
      data-testid={testId}
    >
      {COLORMAPS.map((c) => (
        <button
          key={c}
          type="button"
          role="radio"
          aria-checked={value === c}
          aria-label={c}
          title={c}
          className={`swatch${value === c ? ' active' : ''}`}
          style={{ backgroundImage: cssGradient(c) }}
          onClick={() => onChange(c)}
          data-testid={`cmap-${c}`}
        />
      ))}
    </div>
  );
}
