import type { Annotation } from '../../api/types';

/** The ground-truth boxes over the image frame (boxes are normalised to the full image). */
export function AnnotationBoxes({ annotations, labels = true }: { annotations: Annotation[]; labels?: boolean }) {
  if (annotations.length === 0) return null;
  return (
    <div className="boxes" data-testid="annotation-boxes" aria-label={`${annotations.length} annotation boxes`}>
      {annotations.map((a, i) => {
        const [x0, y0, x1, y1] = a.box;
        const left = Math.min(x0, x1);
        const top = Math.min(y0, y1);
        return (
          <div
            key={i}
            className="box"
            title={a.source ? `${a.label} (${a.source})` : a.label}
            style={{
              left: `${left * 100}%`,
              top: `${top * 100}%`,
              width: `${Math.abs(x1 - x0) * 100}%`,
              height: `${Math.abs(y1 - y0) * 100}%`,
            }}
          >
            {labels && a.label && <span className="box-label">{a.label}</span>}
          </div>
        );
      })}
    </div>
  );
}
