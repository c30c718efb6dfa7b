import type { MetricStat } from '../../api/types';
import { linearScale, metricAxis } from '../../lib/charts';
import type { MethodNamer } from '../../lib/methods';
import { BASELINE_HELP, describeStat, formatScore, type BaselineName } from '../../lib/metrics';
import type { ModelStyle } from './LeaderboardChart';
import { barGroupProps, barTitle } from './leaderboardBar';

const TOP = 50; // the baselines' labels (one line each), then the axis
const ROW = 36;
const LABEL_W = 112; // model, method and layer left of the bars
const RIGHT = 14;
const BAR_H = 16;

/**
 * The leaderboard on a phone: one row per model and method (best first), the bar along the row at
 * the mean and a whisker over its 95% CI, the baselines as vertical dashed lines labelled at the
 * top. The same data, test ids and interactions as LeaderboardChart's columns, which need ~500 px.
 */
export function LeaderboardRows({
  rows,
  baselines,
  metric,
  styles,
  methodName,
  barMethodName = methodName,
  selected,
  onSelect,
  hover,
  onHover,
  width,
}: {
  rows: MetricStat[];
  baselines: { name: BaselineName; stat: MetricStat }[];
  metric: string;
  styles: (model: string) => ModelStyle;
  methodName?: MethodNamer;
  barMethodName?: MethodNamer;
  selected: string | null;
  onSelect: (row: MetricStat) => void;
  hover: MetricStat | null;
  onHover: (stat: MetricStat | null) => void;
  width: number;
}) {
  const height = TOP + rows.length * ROW + 6;
  const axis = metricAxis([...rows, ...baselines.map((b) => b.stat)], 4);
  const x = linearScale([axis.lo, axis.hi], [LABEL_W, width - RIGHT]);
  const bottom = height - 6;
  return (
    <svg width={width} height={height} role="img" aria-label={`Leaderboard of ${metric}`} className="chart-svg chart-rows">
      {axis.ticks.map((t) => (
        <g key={t}>
          <line className="chart-grid" x1={x(t)} x2={x(t)} y1={TOP - 4} y2={bottom} />
          <text className="chart-tick" x={x(t)} y={TOP - 9} textAnchor="middle">
            {t}
          </text>
        </g>
      ))}
      {rows.map((row, i) => {
        const style = styles(row.model);
        const top = TOP + i * ROW;
        const cy = top + ROW / 2;
        const sublabel = `${barMethodName ? barMethodName(row.model, row.method) : row.method} · L${row.layer}`;
        const end = x(row.mean);
        return (
          <g
            key={`${row.model}/${row.method}`}
            {...barGroupProps(row, { selected, hover, onHover, onSelect, methodName })}
          >
            <title>{barTitle(row, methodName)}</title>
            <rect className="bar-hit" x={0} width={width} y={top} height={ROW} />
            <text className="bar-label" x={0} y={cy - 3}>
              {row.model}
            </text>
            <text className="bar-sublabel" x={0} y={cy + 10}>
              {sublabel}
              {style.random && <tspan className="bar-random"> random</tspan>}
            </text>
            <rect className="bar-fill" x={LABEL_W} width={Math.max(end - LABEL_W, 1)} y={cy - BAR_H / 2} height={BAR_H} rx={2} style={{ fill: style.color }} />
            <line className="ci" x1={x(row.ci_low)} x2={x(row.ci_high)} y1={cy} y2={cy} />
            <line className="ci" x1={x(row.ci_low)} x2={x(row.ci_low)} y1={cy - 4} y2={cy + 4} />
            <line className="ci" x1={x(row.ci_high)} x2={x(row.ci_high)} y1={cy - 4} y2={cy + 4} />
          </g>
        );
      })}
      {baselines.map(({ name, stat }, i) => (
        <g
          key={`line-${name}`}
          data-testid="baseline-line"
          data-baseline={name}
          data-mean={stat.mean}
          className={`baseline baseline-${name}`}
          onMouseEnter={() => onHover(stat)}
          onMouseLeave={() => onHover(null)}
        >
          <title>{`${BASELINE_HELP[name]}\nmean ${describeStat(stat)}`}</title>
          <line className="baseline-hit" x1={x(stat.mean)} x2={x(stat.mean)} y1={TOP - 4} y2={bottom} />
          <line className="baseline-line" x1={x(stat.mean)} x2={x(stat.mean)} y1={TOP - 4} y2={bottom} />
          {/* labelled above the axis, one line per baseline, anchored so it stays inside the chart */}
          <text className="baseline-label" x={x(stat.mean)} y={11 + 13 * i} textAnchor={x(stat.mean) > width / 2 ? 'end' : 'start'}>
            {name} {formatScore(stat.mean)}
          </text>
        </g>
      ))}
    </svg>
  );
}
