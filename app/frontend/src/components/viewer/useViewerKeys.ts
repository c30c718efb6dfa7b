import { useEffect } from 'react';
import { isTyping } from '../../lib/keys';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import { useViewStore } from '../../state/viewStore';

/** ←/→ layer, ↑/↓ head (fused, 0, 1, …), space play, m/g/c views (v: vs base), b boxes (the token strip adds , and .). */
export function useViewerKeys(view: ResolvedView, params: ViewParams) {
  const update = useViewStore((s) => s.update);
  const setPlaying = useViewStore((s) => s.setPlaying);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
      const { layer, layers, perHead, heads } = view;
      let handled = true;
      switch (event.key) {
        case 'ArrowLeft':
          if (layer > 0) update({ layer: layer - 1 });
          break;
        case 'ArrowRight':
          if (layer < layers - 1) update({ layer: layer + 1 });
          break;
        case 'ArrowUp':
        case 'ArrowDown': {
          if (!perHead || params.mode === 'compare') break;
          const position = view.head === null ? -1 : view.head; // -1 = fused
          const next = event.key === 'ArrowDown' ? Math.min(heads - 1, position + 1) : Math.max(-1, position - 1);
          if (next !== position) update({ head: next === -1 ? null : next });
          break;
        }
        case ' ':
          if (layers > 1) setPlaying(!useViewStore.getState().playing);
          break;
        case 'm':
        case 'g':
        case 'c':
          update({ mode: ({ m: 'map', g: 'heads', c: 'compare' } as const)[event.key], vs: null });
          break;
        case 'v':
          if (view.base !== null) update({ mode: 'map', vs: 'base' });
          else handled = false;
          break;
        case 'b':
          update({ boxes: !params.boxes });
          break;
        default:
          handled = false;
      }
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view, params, update, setPlaying]);
}
