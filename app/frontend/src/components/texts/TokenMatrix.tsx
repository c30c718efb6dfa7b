import './TokenMatrix.css';
import { useCallback, useEffect, useMemo, useRef, useState, type PointerEvent, type WheelEvent } from 'react';
import type { TextSlice, TextToken } from '../../api/texts';
import { blockFor, cellAt, clampView, fitView, panBy, visibleTiles, zoomAt, type MatrixView } from '../../lib/matrixTiles';
import { useMatrixTiles } from './useMatrixTiles';

export interface TokenMatrixProps {
  slice: TextSlice;
  tokens: readonly TextToken[];
  onToken: (token: number) => void;
  size?: number;
}

/** Coarser levels drawn under the current one while its tiles load (block × 2, × 4 …). */
const FALLBACK_LEVELS = 6;

/**
 * The token × token attention matrix (queries down, keys across) on a canvas: the wheel zooms about
 * the cursor, a drag pans, a click selects the query row. Each zoom level reads pooled tiles of its
 * own block size (max-pooled, log colour scale 1e-4 … 1); while they load, cached coarser tiles fill in.
 * Tiles are decoded off the main thread (useMatrixTiles); a frame only draws ready images.
 */
export function TokenMatrix({ slice, tokens, onToken, size = 560 }: TokenMatrixProps) {
  const n = tokens.length;
  const canvas = useRef<HTMLCanvasElement>(null);
  const view = useRef<MatrixView>(fitView(n, size, size));
  const frame = useRef<number | null>(null);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const [hover, setHover] = useState<{ query: number; key: number } | null>(null);
  const [zoom, setZoom] = useState(1);

  const drawRef = useRef<() => void>(() => undefined);
  const schedule = useCallback(() => {
    if (frame.current === null) frame.current = requestAnimationFrame(() => drawRef.current());
  }, []);
  const tiles = useMatrixTiles(slice, schedule);

  const draw = useCallback(() => {
    frame.current = null;
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const started = performance.now();
    const v = view.current;
    context.imageSmoothingEnabled = false;
    context.fillStyle = '#0b0d11';
    context.fillRect(0, 0, v.width, v.height);
    const block = blockFor(v.scale);
    for (let level = FALLBACK_LEVELS; level >= 0; level--) {
      const at = block * 2 ** level;
      if (level > 0 && at >= n * 2) continue;
      for (const t of visibleTiles(v, n, at)) {
        const tile = tiles.get(t, level === 0);
        if (tile === null) continue;
        const x = (t.k0 - v.x0) * v.scale;
        const y = (t.q0 - v.y0) * v.scale;
        context.drawImage(tile, x, y, tile.width * at * v.scale, tile.height * at * v.scale);
      }
    }
    tiles.endFrame();
    element.dataset.frameMs = (performance.now() - started).toFixed(3);
    element.dataset.block = String(block);
    const where = tiles.where() ?? '';
    if (element.dataset.decode !== where) element.dataset.decode = where;
  }, [n, tiles]);
  useEffect(() => {
    drawRef.current = draw;
    schedule();
  }, [draw, schedule]);

  // A new text (or model) starts fitted; another layer or head keeps the zoom and position.
  const textKey = `${slice.model}|${slice.textId}`;
  useEffect(() => {
    view.current = fitView(n, size, size);
    setZoom(1);
    schedule();
  }, [n, size, textKey, schedule]);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  // The canvas's place on screen, read once per pointer entry or press (not on every move, so a
  // move after a re-render does not force a layout); a scroll or resize forgets it.
  const rect = useRef<DOMRect | null>(null);
  useEffect(() => {
    const forget = () => void (rect.current = null);
    window.addEventListener('scroll', forget, { capture: true, passive: true });
    window.addEventListener('resize', forget);
    return () => {
      window.removeEventListener('scroll', forget, { capture: true });
      window.removeEventListener('resize', forget);
    };
  }, []);
  const point = (event: { clientX: number; clientY: number }) => {
    rect.current ??= canvas.current!.getBoundingClientRect();
    return { x: event.clientX - rect.current.left, y: event.clientY - rect.current.top };
  };
  const moveTo = (next: MatrixView) => {
    view.current = next;
    setZoom(next.scale / fitView(n, size, size).scale);
    schedule();
  };

  function onWheel(event: WheelEvent<HTMLCanvasElement>) {
    const { x, y } = point(event);
    moveTo(zoomAt(view.current, Math.exp(-event.deltaY * 0.0015), x, y, n));
  }
  function onPointerDown(event: PointerEvent<HTMLCanvasElement>) {
    rect.current = null;
    drag.current = { x: event.clientX, y: event.clientY, moved: false };
    canvas.current?.setPointerCapture?.(event.pointerId);
  }
  function onPointerMove(event: PointerEvent<HTMLCanvasElement>) {
    const d = drag.current;
    if (d !== null && (event.buttons & 1) === 1) {
      const dx = event.clientX - d.x;
      const dy = event.clientY - d.y;
      if (Math.abs(dx) + Math.abs(dy) > 0) d.moved = true;
      d.x = event.clientX;
      d.y = event.clientY;
      moveTo(panBy(view.current, dx, dy, n));
      return;
    }
    const { x, y } = point(event);
    setHover(cellAt(view.current, x, y, n));
  }
  function onPointerUp(event: PointerEvent<HTMLCanvasElement>) {
    const d = drag.current;
    drag.current = null;
    if (d === null || d.moved) return;
    const { x, y } = point(event);
    const cell = cellAt(view.current, x, y, n);
    if (cell !== null) onToken(cell.query);
  }

  const shown = useMemo(() => (hover === null ? null : { q: tokens[hover.query], k: tokens[hover.key] }), [hover, tokens]);
  return (
    <div className="token-matrix">
      <canvas
        ref={canvas}
        width={size}
        height={size}
        data-testid="token-matrix"
        aria-label="token × token attention matrix: wheel to zoom, drag to pan, click a row to select its query token"
        onWheel={onWheel}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerEnter={() => void (rect.current = null)}
        onPointerLeave={() => setHover(null)}
      />
      <div className="token-matrix-bar">
        <button type="button" className="button button-small" onClick={() => moveTo(clampView(fitView(n, size, size), n))}>
          Fit
        </button>
        <span>zoom ×{zoom.toFixed(1)}</span>
        <span data-testid="matrix-hover">
          {hover !== null && shown !== null
            ? `query #${hover.query} ${JSON.stringify(shown.q?.text ?? '')} → key #${hover.key} ${JSON.stringify(shown.k?.text ?? '')}`
            : `${n} × ${n} tokens · wheel zooms, drag pans`}
        </span>
      </div>
    </div>
  );
}
