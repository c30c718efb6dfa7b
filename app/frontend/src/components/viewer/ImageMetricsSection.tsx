import './ImageMetricsSection.css';
import { Link } from 'react-router';
import { useImageMetrics, usePrecomputeCommand } from '../../api/hooks';
import type { ImageDetail } from '../../api/types';
import { methodLabel } from '../../lib/methods';
import { formatScore, hasModelMetrics, mapMetricRows, METRIC_HELP, textScoreNote } from '../../lib/metrics';
import type { ResolvedView } from '../../state/resolveView';
import { dashboardPath } from '../../state/dashboardParams';

const VALUE_HELP: Record<string, string> = {
  ...METRIC_HELP,
  pointing_15px: "pointing game: 1 when the map's maximum lies within 15 px of a box, else 0",
};

/**
 * This image's localisation scores for the map on screen (model, method, layer, head), beside the
 * baselines' scores for the same image; from `/metrics/{id}?heads=true`, filtered here. A VLM's
 * `text` scores are of the whole answer of the image's first prompt (`firstPrompt`, null while the
 * token list is not loaded): said beside them, with how they differ from the map on screen.
 */
export function ImageMetricsSection({
  image,
  view,
  compare,
  firstPrompt = null,
}: {
  image: ImageDetail;
  view: ResolvedView;
  compare: boolean;
  firstPrompt?: number | null;
}) {
  const boxes = image.annotations.length;
  const metrics = useImageMetrics(image.id, boxes > 0 && image.error === null);
  const metricsCommand = usePrecomputeCommand('--metrics');
  const head = compare ? null : view.head;
  const where = `${view.model.key} · ${methodLabel(view.model, view.method)} · layer ${view.layer} · ${head === null ? 'fused' : `head ${head}`}`;
  const text = view.method === 'text' ? textScoreNote({ prompt: view.prompt, token: view.token }, firstPrompt) : null;

  let body;
  if (boxes === 0) {
    body = (
      <p className="hint" data-testid="image-metrics-none">
        <span className="metric-dash">—</span> This image has no annotation boxes: metrics score a map against the boxes of a COCO{' '}
        <code>annotations.json</code> in the gallery.
      </p>
    );
  } else if (metrics.isPending) {
    body = <p className="hint">Loading…</p>;
  } else if (metrics.isError) {
    body = (
      <p className="hint" role="alert">
        Metrics could not be loaded: {metrics.error.message}
      </p>
    );
  } else {
    const rows = mapMetricRows(metrics.data.values, { model: view.model.key, method: view.method, layer: view.layer, head });
    const scored = rows.some((r) => r.value !== null);
    if (!scored) {
      body = (
        <p className="hint" data-testid="image-metrics-none">
          <span className="metric-dash">—</span>{' '}
          {hasModelMetrics(metrics.data.values, view.model.key) ? (
            `No scores for ${where} (per-head maps are scored only where they were precomputed).`
          ) : (
            <>
              Not scored yet: run <code>{metricsCommand}</code>.
            </>
          )}
        </p>
      );
    } else {
      body = (
        <>
          <table className="metrics-table" data-testid="image-metrics-table">
            <thead>
              <tr>
                <th scope="col">metric</th>
                <th scope="col" title={where}>
                  map
                </th>
                <th scope="col" title="centre baseline: a Gaussian at the image centre">
                  centre
                </th>
                <th scope="col" title="random baseline: uniform noise">
                  random
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.metric} data-testid={`image-metric-${r.metric}`} title={VALUE_HELP[r.metric] ?? r.metric}>
                  <th scope="row">{r.metric}</th>
                  <td className="metric-value" data-testid="image-metric-value">
                    {r.value === null ? '—' : formatScore(r.value)}
                  </td>
                  <td className="muted">{r.centre === null ? '—' : formatScore(r.centre)}</td>
                  <td className="muted">{r.random === null ? '—' : formatScore(r.random)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {head === null && view.fusion !== 'mean' && <p className="hint">Scores are of the mean-fused map (the stored one), not the {view.fusion}.</p>}
        </>
      );
    }
  }

  return (
    <section className="controls-section image-metrics" data-testid="image-metrics">
      <h3>
        Metrics <span className="h3-note">vs {boxes} box{boxes === 1 ? '' : 'es'}</span>
      </h3>
      <p className="hint image-metrics-where">{where}</p>
      {text !== null && boxes > 0 && (
        <p className="hint" data-testid="image-metrics-text-note">
          {text.scope}
          {text.caveat !== null && <> {text.caveat}</>}
        </p>
      )}
      {body}
      <p className="hint">
        <Link to={dashboardPath({ model: view.model.key, method: view.method })} data-testid="open-dashboard">
          All images on the dashboard →
        </Link>
      </p>
    </section>
  );
}
