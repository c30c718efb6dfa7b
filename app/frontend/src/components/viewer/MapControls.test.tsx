// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { isResolved, resolveView, type ResolvedView } from '../../state/resolveView';
import { parseViewParams } from '../../state/viewParams';
import { CLIP, RESNET } from '../../test/fixtures';
import { render, type Rendered } from '../../test/render';
import { MapControls } from './MapControls';

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
});

function show(search: string): HTMLElement {
  const params = parseViewParams(search);
  const view = resolveView(params, [CLIP, RESNET], { models: ['clip', 'resnet50'], error: null });
  if (!isResolved(view)) throw new Error('unresolved');
  shown = render(<MapControls view={view as ResolvedView} params={params} update={() => {}} playing={false} onTogglePlay={() => {}} />);
  return shown.container;
}

describe('MapControls', () => {
  it('a CNN gets no layer slider and no head hints, but a line saying why', () => {
    const root = show('model=resnet50');
    expect(root.querySelector('#layer-slider')).toBeNull();
    expect(root.querySelector('[data-testid="no-heads-hint"]')).toBeNull();
    expect(root.querySelector('[data-testid="no-layers-hint"]')?.textContent).toBe(
      'resnet50 is a CNN: one map per image on its last stage, no layers or heads to choose.',
    );
    expect(root.querySelector('[data-testid="model-summary"]')?.textContent).toBe('microsoft/resnet-50 · CNN · 7×7 grid (last stage, stride 32)');
  });

  it('a ViT keeps its layer slider', () => {
    const root = show('model=clip&method=cls');
    expect(root.querySelector('#layer-slider')).not.toBeNull();
    expect(root.querySelector('[data-testid="no-layers-hint"]')).toBeNull();
  });
});
