// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { textParams } from '../../api/client';
import type { ModelInfo } from '../../api/types';
import { isResolved, resolveView, type ResolvedView } from '../../state/resolveView';
import { targetLabel } from '../../state/targets';
import { parseViewParams, type ViewParams } from '../../state/viewParams';
import { CLIP, RESNET } from '../../test/fixtures';
import { render, type Rendered } from '../../test/render';
import { MapControls } from './MapControls';

/** CLIP with two gradrollout targets, as /models lists them after `precompute --target-text` twice. */
const CLIP_TARGETS: ModelInfo = {
  ...CLIP,
  methods: ['cls', 'mean', 'rollout', 'gradrollout'],
  method_layers: { ...CLIP.method_layers, gradrollout: 1 },
  method_heads: { ...CLIP.method_heads, gradrollout: 12 },
  prompts: ['a photo of a cat', 'a dog'],
};

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
});

function resolved(search: string): { view: ResolvedView; params: ViewParams } {
  const params = parseViewParams(search);
  const view = resolveView(params, [CLIP_TARGETS, RESNET], { models: ['clip', 'resnet50'], error: null });
  if (!isResolved(view)) throw new Error('unresolved');
  return { view: view as ResolvedView, params };
}

function show(search: string, patches: Partial<ViewParams>[] = []): HTMLElement {
  const { view, params } = resolved(search);
  shown = render(<MapControls view={view} params={params} update={(patch) => patches.push(patch)} playing={false} onTogglePlay={() => {}} />);
  return shown.container;
}

describe('gradrollout targets', () => {
  it('the viewer offers the targets of the model, and choosing one sets prompt', () => {
    const patches: Partial<ViewParams>[] = [];
    const root = show('model=clip&method=gradrollout&prompt=1', patches);
    const select = root.querySelector<HTMLSelectElement>('[data-testid="target-select"]');
    expect(select).not.toBeNull();
    expect(Array.from(select!.options).map((o) => o.textContent)).toEqual(['“a photo of a cat”', '“a dog”']);
    expect(select!.value).toBe('1');
    act(() => {
      select!.value = '0';
      select!.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(patches).toEqual([{ prompt: 0 }]);
    expect(root.querySelector('#layer-slider')).not.toBeNull(); // one layer: the slider shows 0 only
  });

  it('other methods show no target selector', () => {
    expect(show('model=clip&method=cls').querySelector('[data-testid="target-select"]')).toBeNull();
  });

  it('a target the model does not have falls back to the first, with a note', () => {
    const { view } = resolved('model=clip&method=gradrollout&prompt=5');
    expect(view.prompt).toBe(0);
    expect(view.notes).toContain('clip has no gradrollout target 5 (0–1); showing target 0 (“a photo of a cat”)');
  });

  it('map requests send prompt for gradrollout, and never a token', () => {
    expect(textParams('gradrollout', { prompt: 1, token: '3' })).toEqual({ prompt: 1, token: null });
    expect(textParams('cls', { prompt: 1 })).toEqual({ prompt: null, token: null });
  });

  it('class targets read as classes', () => {
    expect(targetLabel('class:top')).toBe('top class');
    expect(targetLabel('class:7')).toBe('class 7');
  });
});
