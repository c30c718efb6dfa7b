import './RankedImages.css';
import { Link } from 'react-router';
import { urls } from '../../api/client';
import type { ImageDetail, ImageRanking, ImageScore } from '../../api/types';
import { bestAndWorst } from '../../lib/charts';
import type { ColormapName } from '../../lib/colormaps';
import { formatScore } from '../../lib/metrics';
import { viewPath } from '../../state/viewParams';

export const RANKED_SHOWN = 6;

function ImageTile({
  score,
  rank,
  kind,
  ranking,
  methodName,
  cmap,
  detail,
}: {
  score: ImageScore;
  rank: number;
  kind: 'best' | 'worst';
  ranking: ImageRanking;
  methodName: string;
  cmap: ColormapName;
  detail: ImageDetail | undefined;
}) {
  const { model, method, layer, head } = ranking;
  const labels = detail ? [...new Set(detail.annotations.map((a) => a.label))] : [];
  const aspect = detail?.width && detail.height ? detail.width / detail.height : 4 / 3;
  return (
    <Link
      to={viewPath(score.image_id, { model, method, layer, head, cmap })}
      className="rank-card"
      data-testid={`${kind}-image`}
      data-id={score.image_id}
      data-value={score.value}
      title={`${score.image_id}: ${ranking.metric} ${formatScore(score.value)} — open ${model} · ${methodName} · layer ${layer} in the viewer`}
    >
      <div className="rank-thumb" style={{ aspectRatio: String(aspect) }}>
        <img
          src={urls.heatmapPng({ imageId: score.image_id, model, method, layer, head, size: 256, colormap: cmap, boxes: true })}
          alt={`${score.image_id} with the ${model} map and its boxes`}
          loading="lazy"
          decoding="async"
        />
        <span className="rank-badge">#{rank}</span>
      </div>
      <div className="rank-caption">
        <span className="rank-name">{score.image_id}</span>
        <b className={`rank-value rank-${kind}`}>{formatScore(score.value)}</b>
      </div>
      {labels.length > 0 && <div className="rank-labels muted">▢ {labels.join(', ')}</div>}
    </Link>
  );
}

/**
 * The images where a map scores best and worst (from /metrics/model/{model}/images), each drawn by
 * the API with the map and the boxes over it; a click opens the viewer at that map.
 */
export function RankedImages({
  ranking,
  methodName = ranking.method,
  cmap,
  details,
}: {
  ranking: ImageRanking;
  /** the method's name (a VLM's are spelled out; its text maps are scored as the whole answer's, which the viewer opens on) */
  methodName?: string;
  cmap: ColormapName;
  details: (imageId: string) => ImageDetail | undefined;
}) {
  const total = ranking.images.length;
  const { best, worst } = bestAndWorst(ranking.images, RANKED_SHOWN);
  return (
    <div className="ranked" data-testid="ranked-images">
      <div className="ranked-row">
        <h3>
          Best <span className="muted">(highest {ranking.metric})</span>
        </h3>
        <div className="rank-grid">
          {best.map((score, i) => (
            <ImageTile key={score.image_id} score={score} rank={i + 1} kind="best" ranking={ranking} methodName={methodName} cmap={cmap} detail={details(score.image_id)} />
          ))}
        </div>
      </div>
      {worst.length > 0 && (
        <div className="ranked-row">
          <h3>
            Worst <span className="muted">(lowest first)</span>
          </h3>
          <div className="rank-grid">
            {worst.map((score, i) => (
              <ImageTile
                key={score.image_id}
                score={score}
                rank={total - i}
                kind="worst"
                ranking={ranking}
                methodName={methodName}
                cmap={cmap}
                detail={details(score.image_id)}
              />
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
