import '../viewer/ColorBar.css';
import './charts.css';
import './HeadsTable.css';
import { useState } from 'react';
import type { MetricStat } from '../../api/types';
import { headGrid, heatColour } from '../../lib/charts';
import { cssGradient, type ColormapName } from '../../lib/colormaps';
import { BASELINES, baselinesByName, describeStat, formatScore } from '../../lib/metrics';
import { rangeOf, toUnit, type ValueRange } from '../../lib/normalise';

/** A colour scale for metric values: the colormap over `range`, with the baselines and the hovered value marked. */
export function MetricScale({
  cmap,
  range,
  baselines,
  marker,
}: {
  cmap: ColormapName;
  range: ValueRange;
  baselines: MetricStat[];
  marker: number | null;
}) {
  const lines = baselinesByName(baselines);
  return (
    <div className="metric-scale" data-testid="heat-scale">
      <div className="colorbar-ramp" style={{ background: cssGradient(cmap) }}>
        {BASELINES.map((name) => {
          const stat = lines[name];
          if (stat === undefined || stat.mean < range.lo || stat.mean > range.hi) return null;
          return (
            <span
              key={name}
              className={`scale-baseline scale-baseline-${name}`}
              style={{ left: `${toUnit(stat.mean, range) * 100}%` }}
              title={`${name} baseline ${formatScore(stat.mean)}`}
            />
          );
        })}
        {marker !== null && <span className="colorbar-marker" style={{ left: `${toUnit(marker, range) * 100}%` }} aria-hidden="true" />}
      </div>
      <div className="colorbar-ticks">
        <span>{formatScore(range.lo)}</span>
        <span className="colorbar-mode">
          mean over images · colours span this table
          {BASELINES.some((n) => lines[n] && lines[n].mean >= range.lo && lines[n].mean <= range.hi) && ' · ticks: baselines'}
        </span>
        <span>{formatScore(range.hi)}</span>
      </div>
    </div>
  );
}

function cellTitle(stat: MetricStat, metric: string): string {
  return `layer ${stat.layer} · ${stat.head === null ? 'fused' : `head ${stat.head}`}\n${metric}: ${describeStat(stat)}\nclick: open the best image in the viewer`;
}

/**
 * Every head of every layer of one model as a heat table (rows: layers, first at the top;
 * columns: heads, then the fused map), coloured through the app's colormaps over the table's own
 * range. Hover a cell for its numbers; click it to open the viewer at that layer and head, on the
 * image where that head scores best.
 */
export function HeadsTable({
  heads,
  fused,
  layers,
  headCount,
  baselines,
  metric,
  cmap,
  selectedLayer,
  onOpen,
}: {
  heads: MetricStat[];
  fused: MetricStat[];
  layers: number;
  headCount: number;
  baselines: MetricStat[];
  metric: string;
  cmap: ColormapName;
  selectedLayer: number;
  onOpen: (layer: number, head: number | null) => void;
}) {
  const [hover, setHover] = useState<MetricStat | null>(null);
  const grid = headGrid(heads, layers, headCount);
  const fusedByLayer = new Map(fused.map((s) => [s.layer, s]));
  const range = rangeOf([...heads, ...fused].map((s) => s.mean));
  const best = heads.length > 0 ? heads.reduce((a, b) => (b.mean > a.mean ? b : a)) : null;

  const cell = (stat: MetricStat | null, layer: number, head: number | null) => {
    const key = head === null ? 'fused' : String(head);
    if (stat === null) {
      return (
        <td key={key} className={head === null ? 'fused-col' : undefined}>
          <span className="heat-cell heat-empty" title="no score">
            ·
          </span>
        </td>
      );
    }
    const colour = heatColour(stat.mean, range, cmap);
    return (
      <td key={key} className={head === null ? 'fused-col' : undefined}>
        <button
          type="button"
          className={`heat-cell${stat === best ? ' heat-best' : ''}`}
          style={{ background: colour.background, color: colour.text }}
          title={cellTitle(stat, metric)}
          data-testid={`heat-cell-${layer}-${key}`}
          data-mean={stat.mean}
          onMouseEnter={() => setHover(stat)}
          onFocus={() => setHover(stat)}
          onMouseLeave={() => setHover(null)}
          onBlur={() => setHover(null)}
          onClick={() => onOpen(layer, head)}
        >
          {stat.mean.toFixed(2)}
        </button>
      </td>
    );
  };

  return (
    <div className="heads-table-wrap">
      <MetricScale cmap={cmap} range={range} baselines={baselines} marker={hover?.mean ?? null} />
      <div className="heat-scroll">
        <table className="heat-table" data-testid="heads-table">
          <thead>
            <tr>
              <th scope="col" className="heat-corner">
                layer
              </th>
              {Array.from({ length: headCount }, (_, h) => (
                <th key={h} scope="col">
                  H{h}
                </th>
              ))}
              <th scope="col" className="fused-col">
                fused
              </th>
            </tr>
          </thead>
          <tbody>
            {grid.map((row, layer) => (
              <tr key={layer} className={layer === selectedLayer ? 'heat-row-selected' : undefined}>
                <th scope="row">{layer}</th>
                {row.map((stat, head) => cell(stat, layer, head))}
                {cell(fusedByLayer.get(layer) ?? null, layer, null)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="chart-readout" data-testid="heads-readout">
        {hover !== null ? (
          <>
            <b>
              layer {hover.layer} · {hover.head === null ? 'fused' : `head ${hover.head}`}
            </b>
            : mean {describeStat(hover)}, sd {formatScore(hover.std)} — click to open it in the viewer
          </>
        ) : best !== null ? (
          <span className="muted">
            Best head: layer {best.layer} · head {best.head} ({formatScore(best.mean)}, outlined). Hover a cell for its numbers; click to
            open its best image.
          </span>
        ) : (
          <span className="muted">Hover a cell for its numbers; click to open its best image.</span>
        )}
      </p>
    </div>
  );
}
