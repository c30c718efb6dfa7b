import './SegmentedControl.css';
import type { ReactNode } from 'react';

export interface SegmentedOption<T extends string> {
  value: T;
  label: ReactNode;
  /** the tooltip: what choosing it does */
  title?: string;
  testId?: string;
}

export interface SegmentedControlProps<T extends string> {
  options: readonly SegmentedOption<T>[];
  value: T;
  onChange: (value: T) => void;
  /** the id of the element naming the group (its control label) */
  labelledBy: string;
  testId?: string;
}

/** One choice out of a few, as a row of buttons (a radio group): fusion, normalisation, cells. */
export function SegmentedControl<T extends string>({ options, value, onChange, labelledBy, testId }: SegmentedControlProps<T>) {
  return (
    <div className="segmented" role="radiogroup" aria-labelledby={labelledBy} data-testid={testId}>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          role="radio"
          aria-checked={value === option.value}
          className={value === option.value ? 'active' : ''}
          title={option.title}
          onClick={() => onChange(option.value)}
          data-testid={option.testId}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}
