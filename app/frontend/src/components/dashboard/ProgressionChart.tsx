import './charts.css';
import { useState } from 'react';
import type { MetricStat } from '../../api/types';
import { bandPath, linePath, linearScale, metricAxis, niceTicks, type DepthPoint } from '../../lib/charts';
import type { MethodNamer } from '../../lib/methods';
import { BASELINE_HELP, BASELINES, baselinesByName, describeStat, formatScore, statLabel } from '../../lib/metrics';
import { useElementWidth } from './useElementWidth';

export interface Series {
  model: string;
  method: string;
  /** the method's name (a VLM's are spelled out) */
  methodName: string;
  layers: number;
  color: string;
  random: boolean;
  points: DepthPoint[];
}

const HEIGHT = 290;
const MARGIN = { top: 16, right: 104, bottom: 42, left: 52 };
const DEPTH_TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * The fused maps' score along the depth, one line per model: x is the layer as a fraction of the
 * model's depth (layer ÷ last layer), so models with different numbers of layers line up. The
 * selected model is drawn on top with its 95% CI as a band; baselines are dashed lines.
 */
export function ProgressionChart({
  series,
  baselines,
  metric,
  methodName,
  selected,
  onSelect,
}: {
  series: Series[];
  baselines: MetricStat[];
  metric: string;
  /** names a model's method in the tooltips (default: its key) */
  methodName?: MethodNamer;
  selected: string | null;
  onSelect: (model: string) => void;
}) {
  const [ref, available] = useElementWidth<HTMLDivElement>(600);
  const [hover, setHover] = useState<{ point: DepthPoint; series: Series } | null>(null);
  const lines = baselinesByName(baselines);
  const named = BASELINES.flatMap((name) => (lines[name] ? [{ name, stat: lines[name] }] : []));
  const width = Math.max(available, 360);
  const plotRight = width - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const all = series.flatMap((s) => s.points.map((p) => p.stat));
  const axis = all.length > 0 || named.length > 0 ? metricAxis([...all, ...named.map((b) => b.stat)]) : niceTicks(0, 1);
  const x = linearScale([0, 1], [MARGIN.left, plotRight]);
  const y = linearScale([axis.lo, axis.hi], [bottom, MARGIN.top]);
  // the selected model last, so it is drawn on top
  const ordered = [...series].sort((a, b) => Number(a.model === selected) - Number(b.model === selected));
  const chosen = series.find((s) => s.model === selected);

  return (
    <div className="chart" data-testid="progression-chart">
      <div className="chart-scroll" ref={ref}>
        <svg width={width} height={HEIGHT} role="img" aria-label={`${metric} by depth, one line per model`} className="chart-svg">
          {axis.ticks.map((t) => (
            <g key={t}>
              <line className="chart-grid" x1={MARGIN.left} x2={plotRight} y1={y(t)} y2={y(t)} />
              <text className="chart-tick" x={MARGIN.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
                {t}
              </text>
            </g>
          ))}
          {DEPTH_TICKS.map((t) => (
            <g key={`x${t}`}>
              <line className="chart-grid chart-grid-x" x1={x(t)} x2={x(t)} y1={MARGIN.top} y2={bottom} />
              <text className="chart-tick" x={x(t)} y={bottom + 16} textAnchor="middle">
                {t === 0 ? 'first' : t === 1 ? 'last' : `${t * 100}%`}
              </text>
            </g>
          ))}
          <text className="chart-axis-title" x={(MARGIN.left + plotRight) / 2} y={HEIGHT - 6} textAnchor="middle">
            depth (layer ÷ last layer)
          </text>
          <text className="chart-axis-title" transform={`translate(14 ${(MARGIN.top + bottom) / 2}) rotate(-90)`} textAnchor="middle">
            {metric}
          </text>

          {chosen !== undefined && chosen.points.length > 1 && (
            <path
              className="ci-band"
              data-testid="progression-band"
              style={{ fill: chosen.color }}
              d={bandPath(
                chosen.points.map((p) => ({ x: x(p.fraction), y: y(p.stat.ci_high) })),
                chosen.points.map((p) => ({ x: x(p.fraction), y: y(p.stat.ci_low) })),
              )}
            />
          )}

          {named.map(({ name, stat }) => (
            <g key={name} className={`baseline baseline-${name}`} data-testid="progression-baseline" data-baseline={name}>
              <title>{`${BASELINE_HELP[name]}\nmean ${describeStat(stat)}`}</title>
              <line className="baseline-line" x1={MARGIN.left} x2={plotRight} y1={y(stat.mean)} y2={y(stat.mean)} />
              <text className="baseline-label" x={plotRight + 8} y={y(stat.mean)} dy="0.32em">
                {name} {formatScore(stat.mean)}
              </text>
            </g>
          ))}

          {ordered.map((s) => {
            const isSelected = s.model === selected;
            const dim = selected !== null && !isSelected;
            const points = s.points.map((p) => ({ x: x(p.fraction), y: y(p.stat.mean) }));
            return (
              <g
                key={s.model}
                className={`series${isSelected ? ' series-selected' : ''}${dim ? ' series-dim' : ''}`}
                data-testid="progression-line"
                data-model={s.model}
                data-method={s.method}
                data-points={s.points.length}
              >
                <path className="series-line" d={linePath(points)} style={{ stroke: s.color }} />
                {s.points.map((p, i) => (
                  <g
                    key={p.stat.layer}
                    onMouseEnter={() => setHover({ point: p, series: s })}
                    onMouseLeave={() => setHover(null)}
                    onClick={() => onSelect(s.model)}
                  >
                    <title>{`${statLabel(p.stat, methodName)} (depth ${Math.round(p.fraction * 100)}%)\nmean ${describeStat(p.stat)}`}</title>
                    <circle className="series-hit" cx={points[i]!.x} cy={points[i]!.y} r={9} />
                    <circle className="series-point" cx={points[i]!.x} cy={points[i]!.y} r={isSelected ? 3.5 : 2.5} style={{ fill: s.color }} />
                  </g>
                ))}
              </g>
            );
          })}
          <line className="chart-axis" x1={MARGIN.left} x2={plotRight} y1={bottom} y2={bottom} />
        </svg>
      </div>
      <p className="chart-readout" data-testid="progression-readout">
        {hover !== null ? (
          <>
            <b>{statLabel(hover.point.stat, methodName)}</b> (depth {Math.round(hover.point.fraction * 100)}% of {hover.series.layers} layers): mean{' '}
            {describeStat(hover.point.stat)}
          </>
        ) : (
          <span className="muted">
            Fused maps, mean over the annotated images; the band is the selected model&apos;s 95% CI; dashed lines: baselines.
            Hover a point for its numbers, click a line to choose that model.
          </span>
        )}
      </p>
    </div>
  );
}
