import '../dashboard/FaithfulnessPanel.css';
import { ApiError } from '../../api/client';
import { useImageFaithfulness, type FaithfulnessCurve } from '../../api/faithfulness';
import { usePrecomputeCommand } from '../../api/hooks';
import type { ImageDetail } from '../../api/types';
import { cellLabel, curveFor, curvePoints, formatAuc, scoreRange } from '../../lib/faithfulness';
import type { ResolvedView } from '../../state/resolveView';

const W = 220;
const H = 110;

/** Deletion and insertion of the map on screen, with the random order's curves dashed. */
export function CurveChart({ curve, random }: { curve: FaithfulnessCurve; random: FaithfulnessCurve | null }) {
  const series = [curve.deletion, curve.insertion, ...(random ? [random.deletion, random.insertion] : [])];
  const [low, high] = scoreRange(series);
  const line = (scores: number[], className: string, testId: string) => (
    <polyline className={className} points={curvePoints(scores, W, H, low, high)} data-testid={testId} />
  );
  return (
    <svg className="faith-chart" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`deletion and insertion curves of ${cellLabel(curve)}`} data-testid="faithfulness-chart">
      <line className="axis" x1={0} x2={W} y1={H} y2={H} />
      <line className="axis" x1={0} x2={0} y1={0} y2={H} />
      {random && line(random.deletion, 'deletion random', 'curve-random-deletion')}
      {random && line(random.insertion, 'insertion random', 'curve-random-insertion')}
      {line(curve.deletion, 'deletion', 'curve-deletion')}
      {line(curve.insertion, 'insertion', 'curve-insertion')}
    </svg>
  );
}

/**
 * The viewer's faithfulness section: the deletion and insertion curves of the map on screen
 * (that head, else its layer's fused map) for this image, from `/metrics/faithfulness/{id}`.
 */
export function FaithfulnessSection({ image, view, compare }: { image: ImageDetail; view: ResolvedView; compare: boolean }) {
  const found = useImageFaithfulness(image.id, view.model.key, image.error === null);
  const command = usePrecomputeCommand('--faithfulness');
  const head = compare ? null : view.head;
  let body;
  if (found.isPending) {
    body = <p className="hint">Loading…</p>;
  } else if (found.isError) {
    body =
      found.error instanceof ApiError && found.error.status === 404 ? (
        <p className="hint" data-testid="faithfulness-none">
          <span className="metric-dash">—</span> No curves for {view.model.key} on this image: run <code>{command}</code> (it scores the vision models' maps).
        </p>
      ) : (
        <p className="hint" role="alert">
          Faithfulness could not be loaded: {found.error.message}
        </p>
      );
  } else {
    const curve = curveFor(found.data.curves, view.method, view.layer, head);
    const random = found.data.curves.find((c) => c.method === 'random') ?? null;
    body =
      curve === null ? (
        <p className="hint" data-testid="faithfulness-none">
          <span className="metric-dash">—</span> This map was not scored (see <code>--faithfulness-maps</code>).
        </p>
      ) : (
        <>
          <p className="hint image-metrics-where" data-testid="faithfulness-map">
            {cellLabel(curve)} · {found.data.target}, {found.data.steps} steps
          </p>
          <CurveChart curve={curve} random={random} />
          <div className="faith-legend">
            <span data-testid="faithfulness-deletion-auc">deletion AUC {formatAuc(curve.deletion_auc)}</span>
            <span data-testid="faithfulness-insertion-auc">insertion AUC {formatAuc(curve.insertion_auc)}</span>
            {random && (
              <span className="muted">
                random {formatAuc(random.deletion_auc)} / {formatAuc(random.insertion_auc)}
              </span>
            )}
          </div>
          <p className="hint">x: share of patches removed (deletion) or revealed (insertion), most important first; dashed: random order.</p>
        </>
      );
  }
  return (
    <section className="controls-section image-metrics" data-testid="image-faithfulness">
      <h3>Faithfulness</h3>
      {body}
    </section>
  );
}
