import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COALESCE_MS, useViewStore } from './viewStore';
import { DEFAULT_PARAMS, parseViewParams } from './viewParams';

describe('the view store', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useViewStore.setState({ imageId: null, params: { ...DEFAULT_PARAMS }, origin: 'url', history: 'push', playing: false, lastChange: null });
  });
  afterEach(() => vi.useRealTimers());

  it('loads from the URL without marking a UI change', () => {
    useViewStore.getState().fromUrl('img', parseViewParams('layer=3'));
    expect(useViewStore.getState()).toMatchObject({ imageId: 'img', origin: 'url', params: { layer: 3 } });
  });

  it('ignores a URL that holds the same state (no loop with the URL writer)', () => {
    const store = useViewStore.getState();
    store.fromUrl('img', parseViewParams('layer=3'));
    const before = useViewStore.getState().params;
    useViewStore.getState().fromUrl('img', parseViewParams('layer=3&cmap=viridis'));
    expect(useViewStore.getState().params).toBe(before);
  });

  it('pushes a history entry per change, replaces for quick repeats of the same control', () => {
    const store = useViewStore.getState();
    store.fromUrl('img', parseViewParams(''));
    store.update({ layer: 1 });
    expect(useViewStore.getState()).toMatchObject({ origin: 'ui', history: 'push' });
    vi.advanceTimersByTime(100);
    useViewStore.getState().update({ layer: 2 });
    expect(useViewStore.getState().history).toBe('replace'); // a slider drag
    vi.advanceTimersByTime(100);
    useViewStore.getState().update({ head: 1 });
    expect(useViewStore.getState().history).toBe('push'); // another control
    vi.advanceTimersByTime(COALESCE_MS + 1);
    useViewStore.getState().update({ head: 2 });
    expect(useViewStore.getState().history).toBe('push'); // a deliberate second step
    useViewStore.getState().update({ layer: 3 }, 'replace');
    expect(useViewStore.getState().history).toBe('replace');
  });

  it('does nothing for a change that changes nothing', () => {
    const store = useViewStore.getState();
    store.fromUrl('img', parseViewParams('layer=2'));
    const before = useViewStore.getState();
    useViewStore.getState().update({ layer: 2 });
    expect(useViewStore.getState()).toBe(before);
  });

  it('stops playing when another image is opened', () => {
    useViewStore.getState().fromUrl('a', parseViewParams(''));
    useViewStore.getState().setPlaying(true);
    useViewStore.getState().fromUrl('a', parseViewParams('layer=1'));
    expect(useViewStore.getState().playing).toBe(true);
    useViewStore.getState().fromUrl('b', parseViewParams(''));
    expect(useViewStore.getState().playing).toBe(false);
  });
});
