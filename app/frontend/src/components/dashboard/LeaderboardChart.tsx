import './charts.css';
import { useState } from 'react';
import type { MetricStat } from '../../api/types';
import { bandLayout, barGeometry, linearScale, metricAxis } from '../../lib/charts';
import { barSublabel, type MethodNamer } from '../../lib/methods';
import { BASELINE_HELP, BASELINES, baselinesByName, describeStat, formatScore, statLabel } from '../../lib/metrics';
import { barGroupProps, barTitle } from './leaderboardBar';
import { LeaderboardRows } from './LeaderboardRows';
import { useElementWidth } from './useElementWidth';

export interface ModelStyle {
  color: string;
  random: boolean;
}

const HEIGHT = 320;
const MARGIN = { top: 20, right: 118, bottom: 86, left: 52 };
/** the line height of the labels under the bars */
const LINE = 13;
/** bar slots narrower than this get smaller labels */
const COMPACT_SLOT = 64;
const MAX_BAR = 72;
const MIN_SLOT = 46;
/** below this width (a phone) the leaderboard is drawn as rows (LeaderboardRows): no room for columns */
const NARROW_WIDTH = 520;

/**
 * The leaderboard as columns: one per model and method (best mean first), the bar at the mean and
 * a whisker over its bootstrap 95% CI; the centre and random baselines as horizontal lines across
 * the chart, each with its CI as a faint band. Hover a column for its numbers; click it to choose
 * that model (and method) for the panels below.
 */
export function LeaderboardChart({
  rows,
  baselines,
  metric,
  styles,
  methodName,
  barMethodName = methodName,
  selected,
  onSelect,
}: {
  rows: MetricStat[];
  baselines: MetricStat[];
  metric: string;
  styles: (model: string) => ModelStyle;
  /** names a model's method in the tooltips and the readout (default: its key) */
  methodName?: MethodNamer;
  /** names it under its bar (default: methodName) */
  barMethodName?: MethodNamer;
  selected: string | null;
  onSelect: (row: MetricStat) => void;
}) {
  const [ref, available] = useElementWidth<HTMLDivElement>();
  const [hover, setHover] = useState<MetricStat | null>(null);
  const narrow = available > 0 && available < NARROW_WIDTH;
  const lines = baselinesByName(baselines);
  const named = BASELINES.flatMap((name) => (lines[name] ? [{ name, stat: lines[name] }] : []));
  const width = Math.max(available, MARGIN.left + MARGIN.right + rows.length * MIN_SLOT);
  const plotRight = width - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const axis = metricAxis([...rows, ...named.map((b) => b.stat)]);
  const y = linearScale([axis.lo, axis.hi], [bottom, MARGIN.top]);
  const bands = bandLayout(rows.length, plotRight - MARGIN.left, 0.34, MARGIN.left, MAX_BAR);
  const showValues = bands.band >= 30;
  // narrow slots: smaller labels, so that a long model key does not run into its neighbours'
  const compact = bands.step < COMPACT_SLOT;
  const capHalf = Math.min(7, bands.band / 4);

  return (
    <div className="chart" data-testid="leaderboard-chart">
      <div className="chart-scroll" ref={ref}>
        {narrow ? (
          <LeaderboardRows
            rows={rows}
            baselines={named}
            metric={metric}
            styles={styles}
            methodName={methodName}
            barMethodName={barMethodName}
            selected={selected}
            onSelect={onSelect}
            hover={hover}
            onHover={setHover}
            width={available}
          />
        ) : (
        <svg width={width} height={HEIGHT} role="img" aria-label={`Leaderboard of ${metric}`} className={`chart-svg${compact ? ' chart-compact' : ''}`}>
          {axis.ticks.map((t) => (
            <g key={t}>
              <line className="chart-grid" x1={MARGIN.left} x2={plotRight} y1={y(t)} y2={y(t)} />
              <text className="chart-tick" x={MARGIN.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
                {t}
              </text>
            </g>
          ))}
          <text className="chart-axis-title" transform={`translate(14 ${(MARGIN.top + bottom) / 2}) rotate(-90)`} textAnchor="middle">
            {metric}
          </text>

          {named
            .filter(({ stat }) => hover === stat)
            .map(({ name, stat }) => (
              <rect
                key={`band-${name}`}
                className={`baseline-band baseline-${name}`}
                data-testid="baseline-band"
                x={MARGIN.left}
                width={plotRight - MARGIN.left}
                y={Math.min(y(stat.ci_high), y(stat.ci_low))}
                height={Math.abs(y(stat.ci_low) - y(stat.ci_high))}
              />
            ))}

          {rows.map((row, i) => {
            const style = styles(row.model);
            const g = barGeometry(row, y);
            const x = bands.x(i);
            const cx = bands.centre(i);
            const sublabel = barSublabel(barMethodName ? barMethodName(row.model, row.method) : row.method, row.layer);
            return (
              <g
                key={`${row.model}/${row.method}`}
                {...barGroupProps(row, { selected, hover, onHover: setHover, onSelect, methodName })}
              >
                <title>{barTitle(row, methodName)}</title>
                <rect className="bar-hit" x={x - (bands.step - bands.band) / 2} width={bands.step} y={MARGIN.top} height={bottom - MARGIN.top} />
                <rect className="bar-fill" x={x} width={bands.band} y={g.y} height={Math.max(g.height, 1)} rx={2} style={{ fill: style.color }} />
                <line className="ci" x1={cx} x2={cx} y1={g.ciTop} y2={g.ciBottom} />
                <line className="ci" x1={cx - capHalf} x2={cx + capHalf} y1={g.ciTop} y2={g.ciTop} />
                <line className="ci" x1={cx - capHalf} x2={cx + capHalf} y1={g.ciBottom} y2={g.ciBottom} />
                {showValues && (
                  <text className="bar-value" x={cx} y={g.ciTop - 6} textAnchor="middle">
                    {formatScore(row.mean)}
                  </text>
                )}
                <text className="bar-label" x={cx} y={bottom + 16} textAnchor="middle">
                  {row.model}
                </text>
                {sublabel.map((line, l) => (
                  <text key={l} className="bar-sublabel" x={cx} y={bottom + 30 + LINE * l} textAnchor="middle">
                    {line}
                  </text>
                ))}
                {style.random && (
                  <text className="bar-random" x={cx} y={bottom + 30 + LINE * sublabel.length} textAnchor="middle">
                    random
                  </text>
                )}
              </g>
            );
          })}

          {named.map(({ name, stat }, i) => (
            <g
              key={`line-${name}`}
              data-testid="baseline-line"
              data-baseline={name}
              data-mean={stat.mean}
              className={`baseline baseline-${name}`}
              onMouseEnter={() => setHover(stat)}
              onMouseLeave={() => setHover(null)}
            >
              <title>{`${BASELINE_HELP[name]}\nmean ${describeStat(stat)}`}</title>
              <line className="baseline-hit" x1={MARGIN.left} x2={plotRight} y1={y(stat.mean)} y2={y(stat.mean)} />
              <line className="baseline-line" x1={MARGIN.left} x2={plotRight} y1={y(stat.mean)} y2={y(stat.mean)} />
              {/* the baseline's CI as a whisker just right of the plot, one column per baseline */}
              <line className="baseline-ci" x1={plotRight + 5 + 7 * i} x2={plotRight + 5 + 7 * i} y1={y(stat.ci_low)} y2={y(stat.ci_high)} />
              <line className="baseline-ci" x1={plotRight + 3 + 7 * i} x2={plotRight + 7 + 7 * i} y1={y(stat.ci_low)} y2={y(stat.ci_low)} />
              <line className="baseline-ci" x1={plotRight + 3 + 7 * i} x2={plotRight + 7 + 7 * i} y1={y(stat.ci_high)} y2={y(stat.ci_high)} />
              <text className="baseline-label" x={plotRight + 20} y={y(stat.mean)} dy="0.32em">
                {name} {formatScore(stat.mean)}
              </text>
            </g>
          ))}
          <line className="chart-axis" x1={MARGIN.left} x2={plotRight} y1={bottom} y2={bottom} />
        </svg>
        )}
      </div>
      <p className="chart-readout" data-testid="leaderboard-readout">
        {hover !== null ? (
          <>
            <b>{statLabel(hover, methodName)}</b>: mean {describeStat(hover)}, sd {formatScore(hover.std)}
          </>
        ) : (
          <span className="muted">
            Bars: mean over the annotated images; whiskers: bootstrap 95% CI of the mean; dashed lines: the baselines
            {narrow ? '' : ' (their CI at the right end)'}. Hover for numbers, click a bar to show that model below.
          </span>
        )}
      </p>
    </div>
  );
}
