import './ImageCard.css';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { urls } from '../../api/client';
import { useImage } from '../../api/hooks';
import type { ImageSummary } from '../../api/types';
import { viewPath } from '../../state/viewParams';

function useInView<T extends Element>(): [React.RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (element === null || seen) return;
    if (typeof IntersectionObserver === 'undefined') {
      setSeen(true);
      return;
    }
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setSeen(true);
    }, { rootMargin: '200px' });
    observer.observe(element);
    return () => observer.disconnect();
  }, [seen]);
  return [ref, seen];
}

/** How many annotation boxes: from the list when the API sends it, else from /images/{id} once visible. */
function useAnnotationCount(image: ImageSummary, visible: boolean): number | undefined {
  const detail = useImage(image.id, visible && image.annotations === undefined && image.error === null);
  return image.annotations ?? detail.data?.annotations.length;
}

/** A gallery thumbnail with its name and badges; opens the viewer. */
export function ImageCard({ image, totalModels }: { image: ImageSummary; totalModels: number }) {
  const [ref, visible] = useInView<HTMLAnchorElement>();
  const boxes = useAnnotationCount(image, visible);
  const [broken, setBroken] = useState(false);
  const done = image.models.length;
  return (
    <Link ref={ref} to={viewPath(image.id)} className={`card${image.error ? ' card-error' : ''}`} data-testid="image-card" data-id={image.id} title={image.path}>
      <div className="card-thumb">
        {image.error === null && !broken ? (
          <img src={urls.thumbnail(image.id, 320)} alt={image.id} loading="lazy" decoding="async" onError={() => setBroken(true)} />
        ) : (
          <div className="card-placeholder" aria-hidden="true">
            ⚠
          </div>
        )}
        <div className="card-badges">
          {boxes !== undefined && boxes > 0 && (
            <span className="badge badge-boxes" title={`${boxes} annotation box${boxes === 1 ? '' : 'es'}`} data-testid="annotation-badge">
              ▢ {boxes}
            </span>
          )}
        </div>
      </div>
      <div className="card-body">
        <span className="card-name">{image.id}</span>
        <span className="card-meta">
          {image.error !== null ? (
            <span className="badge badge-error" title={image.error}>
              unreadable
            </span>
          ) : done === 0 ? (
            <span className="badge badge-pending" title="no model has maps for this image yet">
              not precomputed
            </span>
          ) : (
            <span className="muted" title={image.models.join(', ')}>
              {image.width}×{image.height} · {done === totalModels ? `${done} models` : `${done}/${totalModels} models`}
            </span>
          )}
        </span>
      </div>
    </Link>
  );
}
