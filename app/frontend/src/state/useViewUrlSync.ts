import { useEffect, useLayoutEffect } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { parseViewParams, serializeViewParams } from './viewParams';
import { useViewStore } from './viewStore';

/**
 * Keep the view store and the URL in step for the viewer of `imageId`: the URL wins on
 * navigation (first load, links, back/forward); UI changes are written to the URL.
 * Returns whether the store holds this image's view yet.
 */
export function useViewUrlSync(imageId: string): boolean {
  const location = useLocation();
  const navigate = useNavigate();

  useLayoutEffect(() => {
    useViewStore.getState().fromUrl(imageId, parseViewParams(location.search));
  }, [imageId, location.search]);

  useEffect(
    () =>
      useViewStore.subscribe((state, previous) => {
        if (state.origin !== 'ui' || state.params === previous.params || state.imageId !== imageId) return;
        const search = serializeViewParams(state.params);
        if (search === window.location.search.replace(/^\?/, '')) return;
        navigate({ pathname: window.location.pathname, search: search ? `?${search}` : '' }, { replace: state.history === 'replace' });
      }),
    [imageId, navigate],
  );

  return useViewStore((s) => s.imageId === imageId);
}
