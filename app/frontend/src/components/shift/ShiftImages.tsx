import { Link } from 'react-router';
import { urls } from '../../api/client';
import type { ShiftImage } from '../../api/types';
import { formatDistance } from '../../lib/diverging';
import { viewPath } from '../../state/viewParams';
import type { ShiftChoice } from './ShiftTable';

/** How many of the ranked images are listed. */
export const SHIFT_IMAGES = 12;

/** The images that moved most (the API's ranking, largest shift first), each opening "vs base" at the chosen layer and head. */
export function ShiftImages({
  images,
  model,
  method,
  choice,
}: {
  images: ShiftImage[];
  model: string;
  method: string;
  choice: ShiftChoice;
}) {
  const where = `layer ${choice.layer} · ${choice.head === null ? 'fused' : `head ${choice.head}`}`;
  return (
    <>
      <p className="shift-images-head" data-testid="shift-images-head">
        The {Math.min(SHIFT_IMAGES, images.length)} images that moved most{' '}
        <span className="muted">
          (of {images.length}, largest shift first) — each opens {model} vs its base at {where}
        </span>
      </p>
      <ol className="shift-images" data-testid="shift-images">
        {images.slice(0, SHIFT_IMAGES).map((img, rank) => (
          <li key={img.image_id}>
            <Link
              className="shift-image"
              to={viewPath(img.image_id, { model, method, layer: choice.layer, head: choice.head, vs: 'base' })}
              data-testid="shift-image"
              title={`open ${img.image_id}: ${model} vs its base at ${where}`}
            >
              <img src={urls.thumbnail(img.image_id, 160)} alt={img.image_id} loading="lazy" />
              <span>
                {rank + 1}. {img.image_id} · <b>{formatDistance(img.distance)}</b>
              </span>
            </Link>
          </li>
        ))}
      </ol>
    </>
  );
}
