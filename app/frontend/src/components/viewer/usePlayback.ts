import { useEffect } from 'react';
import type { ResolvedView } from '../../state/resolveView';
import { useViewStore } from '../../state/viewStore';

const PLAY_INTERVAL_MS = 700;

/** Step through the layers while playing (history entries are replaced, not stacked). */
export function usePlayback(view: ResolvedView) {
  const playing = useViewStore((s) => s.playing);
  const setPlaying = useViewStore((s) => s.setPlaying);
  const update = useViewStore((s) => s.update);
  useEffect(() => {
    if (!playing) return;
    if (view.layers <= 1) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => update({ layer: (view.layer + 1) % view.layers }, 'replace'), PLAY_INTERVAL_MS);
    return () => clearTimeout(timer);
  }, [playing, view.layer, view.layers, update, setPlaying]);
  return playing;
}
