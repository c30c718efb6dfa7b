import './ImageFrame.css';
import { useCallback, type ReactNode, type PointerEvent } from 'react';

export interface FramePoint {
  /** 0..1 from the left edge of the image */
  x: number;
  /** 0..1 from the top edge of the image */
  y: number;
}

/**
 * The full image frame (the image's own aspect ratio): maps, boxes and markers are laid over it
 * edge to edge, because precompute resizes the whole image (no crop).
 */
export function ImageFrame({
  src,
  width,
  height,
  children,
  onHover,
  onClick,
  fit = false,
  className = '',
  alt = '',
  hover,
}: {
  src: string;
  width: number;
  height: number;
  children?: ReactNode;
  onHover?: (point: FramePoint | null) => void;
  onClick?: () => void;
  /** fit inside the stage's height as well as its width */
  fit?: boolean;
  className?: string;
  alt?: string;
  /** a marker to draw (the shared cursor of compare) */
  hover?: FramePoint | null;
}) {
  const move = useCallback(
    (event: PointerEvent<HTMLDivElement>) => {
      if (onHover === undefined) return;
      const rect = event.currentTarget.getBoundingClientRect();
      onHover({ x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height });
    },
    [onHover],
  );
  const aspect = width > 0 && height > 0 ? width / height : 1;
  return (
    <div
      className={`frame${fit ? ' frame-fit' : ''} ${className}`}
      style={{ aspectRatio: String(aspect), ['--aspect' as string]: String(aspect) }}
      onPointerMove={onHover ? move : undefined}
      onPointerLeave={onHover ? () => onHover(null) : undefined}
      onClick={onClick}
      data-testid="image-frame"
    >
      <img className="frame-image" src={src} alt={alt} draggable={false} />
      {children}
      {hover && (
        <div className="cursor-marker" style={{ left: `${hover.x * 100}%`, top: `${hover.y * 100}%` }} aria-hidden="true" />
      )}
    </div>
  );
}
