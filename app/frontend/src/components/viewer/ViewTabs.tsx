import './ViewTabs.css';
import type { Mode, ViewParams } from '../../state/viewParams';

type Tab = { id: string; mode: Mode; vs: 'base' | null; label: string; key: string; title?: string };

const TABS: Tab[] = [
  { id: 'map', mode: 'map', vs: null, label: 'Map', key: 'm' },
  {
    id: 'vs-base',
    mode: 'map',
    vs: 'base',
    label: 'vs base',
    key: 'v',
    title: 'this variant beside its base model, and their signed difference',
  },
  { id: 'heads', mode: 'heads', vs: null, label: 'All heads', key: 'g' },
  { id: 'compare', mode: 'compare', vs: null, label: 'Compare models', key: 'c' },
];

/** The viewer's views; *vs base* only for a variant whose base has maps for this image. */
export function ViewTabs({
  mode,
  vs,
  hasBase,
  onChange,
}: {
  mode: Mode;
  /** whether "vs base" is on */
  vs: boolean;
  hasBase: boolean;
  onChange: (patch: Pick<ViewParams, 'mode' | 'vs'>) => void;
}) {
  return (
    <nav className="tabs" role="tablist" aria-label="View">
      {TABS.filter((tab) => hasBase || tab.vs === null).map((tab) => {
        const active = mode === tab.mode && vs === (tab.vs !== null);
        return (
          <button
            key={tab.id}
            type="button"
            role="tab"
            aria-selected={active}
            className={`tab${active ? ' tab-active' : ''}`}
            onClick={() => onChange({ mode: tab.mode, vs: tab.vs })}
            title={`${tab.title ?? tab.label} (${tab.key})`}
            data-testid={`tab-${tab.id}`}
          >
            {tab.label}
          </button>
        );
      })}
    </nav>
  );
}
