import './ViewTabs.css';
import type { Mode } from '../../state/viewParams';

const TABS: { mode: Mode; label: string; key: string }[] = [
  { mode: 'map', label: 'Map', key: 'm' },
  { mode: 'heads', label: 'All heads', key: 'g' },
  { mode: 'compare', label: 'Compare models', key: 'c' },
];

export function ViewTabs({ mode, onChange }: { mode: Mode; onChange: (mode: Mode) => void }) {
  return (
    <nav className="tabs" role="tablist" aria-label="View">
      {TABS.map((tab) => (
        <button
          key={tab.mode}
          type="button"
          role="tab"
          aria-selected={mode === tab.mode}
          className={`tab${mode === tab.mode ? ' tab-active' : ''}`}
          onClick={() => onChange(tab.mode)}
          title={`${tab.label} (${tab.key})`}
          data-testid={`tab-${tab.mode}`}
        >
          {tab.label}
        </button>
      ))}
    </nav>
  );
}
