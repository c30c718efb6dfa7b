/**
 * The Texts section's view state (Zustand); the URL is its persistent form (`useTextUrlSync`):
 * the URL wins on navigation, changes made in the UI are pushed to it (token steps replace the
 * current history entry, so back/forward go between texts and views rather than tokens).
 */
import { useEffect, useLayoutEffect } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { create } from 'zustand';
import { DEFAULT_TEXT_PARAMS, parseTextParams, serializeTextParams, type TextParams } from './textParams';

export interface TextStore {
  params: TextParams;
  origin: 'url' | 'ui';
  replace: boolean;
  fromUrl(params: TextParams): void;
  update(patch: Partial<TextParams>, replace?: boolean): void;
}

export const useTextStore = create<TextStore>()((set, get) => ({
  params: { ...DEFAULT_TEXT_PARAMS },
  origin: 'url',
  replace: false,
  fromUrl(params) {
    if (serializeTextParams(params) === serializeTextParams(get().params)) return;
    set({ params, origin: 'url' });
  },
  update(patch, replace = false) {
    const params = { ...get().params, ...patch };
    if (serializeTextParams(params) === serializeTextParams(get().params)) return;
    set({ params, origin: 'ui', replace });
  },
}));

/** Keep the store and the URL of the Texts page in step. */
export function useTextUrlSync(): void {
  const location = useLocation();
  const navigate = useNavigate();
  useLayoutEffect(() => {
    useTextStore.getState().fromUrl(parseTextParams(location.search));
  }, [location.search]);
  useEffect(
    () =>
      useTextStore.subscribe((state, previous) => {
        if (state.origin !== 'ui' || state.params === previous.params) return;
        const search = serializeTextParams(state.params);
        if (search === window.location.search.replace(/^\?/, '')) return;
        navigate({ pathname: window.location.pathname, search: search ? `?${search}` : '' }, { replace: state.replace });
      }),
    [navigate],
  );
}
