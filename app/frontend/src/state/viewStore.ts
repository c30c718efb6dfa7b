/**
 * The viewer's view state (Zustand). The URL is its persistent form: `useViewUrlSync` loads the
 * store from the URL on every navigation (links, back/forward) and writes each change made in the
 * UI back to the URL, pushing a history entry — or replacing the current one for a quick series
 * of changes to the same control (slider drags, play), so back/forward stay useful.
 */
import { create } from 'zustand';
import { DEFAULT_PARAMS, sameParams, type ViewParams } from './viewParams';

export type HistoryMode = 'push' | 'replace';

/** Changes of the same controls within this time replace the last history entry. */
export const COALESCE_MS = 700;

export interface ViewStore {
  imageId: string | null;
  params: ViewParams;
  /** who made the last change: the URL (nothing to write back) or the UI */
  origin: 'url' | 'ui';
  history: HistoryMode;
  /** the layer animation (not part of the URL) */
  playing: boolean;
  lastChange: { keys: string; at: number } | null;
  fromUrl(imageId: string, params: ViewParams): void;
  update(patch: Partial<ViewParams>, history?: HistoryMode): void;
  setPlaying(playing: boolean): void;
}

export const useViewStore = create<ViewStore>()((set, get) => ({
  imageId: null,
  params: { ...DEFAULT_PARAMS },
  origin: 'url',
  history: 'push',
  playing: false,
  lastChange: null,

  fromUrl(imageId, params) {
    const state = get();
    if (state.imageId === imageId && sameParams(state.params, params)) return;
    set({
      imageId,
      params,
      origin: 'url',
      playing: state.imageId === imageId ? state.playing : false,
      lastChange: null,
    });
  },

  update(patch, history) {
    const state = get();
    const params = { ...state.params, ...patch };
    if (sameParams(state.params, params)) return;
    const keys = Object.keys(patch).sort().join(',');
    const now = Date.now();
    const quick = state.lastChange !== null && state.lastChange.keys === keys && now - state.lastChange.at < COALESCE_MS;
    set({
      params,
      origin: 'ui',
      history: history ?? (quick ? 'replace' : 'push'),
      lastChange: { keys, at: now },
    });
  },

  setPlaying(playing) {
    set({ playing });
  },
}));
