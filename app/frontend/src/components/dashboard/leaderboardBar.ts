import type { KeyboardEvent } from 'react';
import type { MetricStat } from '../../api/types';
import type { MethodNamer } from '../../lib/methods';
import { describeStat, formatScore, statLabel } from '../../lib/metrics';

/** What a leaderboard bar's group needs from its chart (the bar chart and the ranked rows). */
export interface BarState {
  selected: string | null;
  hover: MetricStat | null;
  onHover: (stat: MetricStat | null) => void;
  onSelect: (row: MetricStat) => void;
  methodName?: MethodNamer;
}

/** The attributes of one bar's `<g>` (everything but its key and its shapes), the same in every
 * leaderboard layout: its classes, the data the browser tests read, hover, click, keys, label. */
export function barGroupProps(row: MetricStat, state: BarState) {
  const { selected, hover, onHover, onSelect, methodName } = state;
  const dim = selected !== null && selected !== row.model;
  return {
    className: `bar${dim ? ' bar-dim' : ''}${selected === row.model ? ' bar-selected' : ''}${hover === row ? ' bar-hover' : ''}`,
    'data-testid': 'leaderboard-bar',
    'data-model': row.model,
    'data-method': row.method,
    'data-layer': row.layer,
    'data-mean': row.mean,
    'data-count': row.count,
    onMouseEnter: () => onHover(row),
    onMouseLeave: () => onHover(null),
    onClick: () => onSelect(row),
    role: 'button',
    tabIndex: 0,
    'aria-label': `${statLabel(row, methodName)}: ${describeStat(row)}`,
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        onSelect(row);
      }
    },
  };
}

/** A bar's tooltip text (its `<title>`). */
export function barTitle(row: MetricStat, methodName?: MethodNamer): string {
  return `${statLabel(row, methodName)}\nmean ${describeStat(row)}\nsd ${formatScore(row.std)}`;
}
