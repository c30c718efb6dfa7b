// @vitest-environment happy-dom
import { act } from 'react';
import { createBrowserRouter, RouterProvider, useLocation } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { render, type Rendered } from '../test/render';
import { useViewUrlSync } from './useViewUrlSync';
import { DEFAULT_PARAMS } from './viewParams';
import { useViewStore } from './viewStore';

function Page() {
  const ready = useViewUrlSync('img_0');
  const location = useLocation();
  return <p data-testid="where">{ready ? location.search : 'loading'}</p>;
}

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
  useViewStore.setState({ imageId: null, params: { ...DEFAULT_PARAMS }, origin: 'url', history: 'push', playing: false, lastChange: null });
});

describe('vs=base between the URL and the view store', () => {
  it('a deep link loads it; the tab writes it; leaving vs base and going back restores it', async () => {
    // the app's router reads and writes the browser's history (happy-dom's here)
    window.history.replaceState(null, '', '/view/img_0?model=dinov2-lora&method=cls&layer=2&vs=base');
    const router = createBrowserRouter([{ path: '/view/:id', element: <Page /> }]);
    shown = render(<RouterProvider router={router} />);
    expect(useViewStore.getState().params).toMatchObject({ model: 'dinov2-lora', vs: 'base', mode: 'map' });

    act(() => useViewStore.getState().update({ mode: 'heads', vs: null }));
    expect(router.state.location.search).toBe('?model=dinov2-lora&method=cls&layer=2&mode=heads');

    act(() => useViewStore.getState().update({ mode: 'map', vs: 'base' }));
    expect(router.state.location.search).toBe('?model=dinov2-lora&method=cls&layer=2&vs=base');

    act(() => useViewStore.getState().update({ mode: 'map', vs: null }));
    expect(router.state.location.search).toBe('?model=dinov2-lora&method=cls&layer=2');
    await act(async () => {
      await router.navigate(-1);
    });
    expect(window.location.search).toBe('?model=dinov2-lora&method=cls&layer=2&vs=base');
    expect(useViewStore.getState().params.vs).toBe('base');
    expect(shown.container.textContent).toBe('?model=dinov2-lora&method=cls&layer=2&vs=base');
  });
});
