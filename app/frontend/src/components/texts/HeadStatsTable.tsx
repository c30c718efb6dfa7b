import './HeadStatsTable.css';
import { useMemo, useState } from 'react';
import { useTextStats, type HeadStat } from '../../api/texts';
import { colorAt, rgbHex } from '../../lib/colormaps';
import { ErrorState, Loading } from '../StatusViews';

export type StatName = 'entropy' | 'sink' | 'previous_token' | 'induction' | 'distance';
export const STAT_NAMES: readonly { value: StatName; label: string }[] = [
  { value: 'entropy', label: 'entropy' },
  { value: 'sink', label: 'sink' },
  { value: 'previous_token', label: 'previous token' },
  { value: 'induction', label: 'induction' },
  { value: 'distance', label: 'distance' },
];
const LABEL_MARK: Record<string, string> = { focused: 'F', broad: 'B', sink: 'S', 'previous-token': 'P' };

/**
 * The stats as a layers × (fused, head 0 … head H−1) grid (missing cells null: column 0 is the fused
 * rows, head −1 in the API), and the range of `stat` over the heads for the colour scale.
 */
export function statGrid(stats: readonly HeadStat[], layers: number, heads: number, stat: StatName) {
  const grid: (HeadStat | null)[][] = Array.from({ length: layers }, () => Array<HeadStat | null>(heads + 1).fill(null));
  let low = Infinity;
  let high = -Infinity;
  for (const s of stats) {
    if (s.layer < 0 || s.layer >= layers || s.head < -1 || s.head >= heads) continue;
    grid[s.layer]![s.head + 1] = s;
    low = Math.min(low, s[stat]);
    high = Math.max(high, s[stat]);
  }
  return { grid, low: Number.isFinite(low) ? low : 0, high: Number.isFinite(high) ? high : 1 };
}

export interface HeadStatsTableProps {
  model: string;
  textId: string;
  layer: number;
  head: number | null;
  /** head null: the fused rows */
  onPick: (layer: number, head: number | null) => void;
}

/** Layers down, heads across: each cell coloured by one statistic and marked with its pattern label; a click opens that head. */
export function HeadStatsTable({ model, textId, layer, head, onPick }: HeadStatsTableProps) {
  const stats = useTextStats(model, textId);
  const [stat, setStat] = useState<StatName>('entropy');
  const table = useMemo(
    () => (stats.data === undefined ? null : statGrid(stats.data.stats, stats.data.layers, stats.data.heads, stat)),
    [stats.data, stat],
  );
  if (stats.isPending) return <Loading label="Loading head statistics…" />;
  if (stats.isError) return <ErrorState error={stats.error} compact />;
  const { grid, low, high } = table!;
  const span = high - low || 1;
  return (
    <div className="head-stats" data-testid="head-stats">
      <label className="head-stats-pick">
        colour by{' '}
        <select value={stat} onChange={(e) => setStat(e.target.value as StatName)} data-testid="head-stat-select">
          {STAT_NAMES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <span className="head-stats-legend">F focused · B broad · S sink · P previous-token</span>
      </label>
      <div className="head-stats-scroll">
        <table>
          <thead>
            <tr>
              <th>layer</th>
              {grid[0]?.map((_, h) => (
                <th key={h}>{h === 0 ? 'fused' : `h${h - 1}`}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.map((row, l) => (
              <tr key={l}>
                <th>{l}</th>
                {row.map((cell, column) => {
                  if (cell === null) return <td key={column} />;
                  const h = column === 0 ? null : column - 1;
                  const t = (cell[stat] - low) / span;
                  const chosen = l === layer && h === head;
                  return (
                    <td
                      key={column}
                      className={chosen ? 'chosen' : ''}
                      style={{ background: rgbHex(colorAt('viridis', t)), color: t > 0.6 ? '#111' : '#eee' }}
                      title={`layer ${l} ${h === null ? 'fused' : `head ${h}`}: ${cell.label} · entropy ${cell.entropy.toFixed(2)} · sink ${cell.sink.toFixed(2)} · previous ${cell.previous_token.toFixed(2)} · induction ${cell.induction.toFixed(2)} · distance ${cell.distance.toFixed(1)}`}
                      data-label={cell.label}
                      data-testid={`head-cell-${l}-${h ?? 'fused'}`}
                    >
                      <button type="button" onClick={() => onPick(l, h)}>
                        {LABEL_MARK[cell.label] ?? '?'}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
