import { describe, expect, it } from 'vitest';
import { CLIP, DINOV2, DINOV2_FT, ORPHAN, QWEN, QWEN_LORA, WITH_VARIANTS } from '../test/fixtures';
import { isVariant, storedBase } from '../lib/variants';
import { canonicalParams, isResolved, resolveView, type ResolvedView } from './resolveView';
import { DEFAULT_PARAMS, parseViewParams, serializeViewParams, viewPath } from './viewParams';

const everywhere = { models: WITH_VARIANTS.map((m) => m.key), error: null };

function resolved(search: string, image = everywhere): ResolvedView {
  const view = resolveView(parseViewParams(search), WITH_VARIANTS, image);
  if (!isResolved(view)) throw new Error(`unresolved: ${JSON.stringify(view)}`);
  return view;
}

describe('variants', () => {
  it('a variant is a model stored under a name other than its registry key; its base is that key', () => {
    expect(isVariant(DINOV2_FT)).toBe(true);
    expect(isVariant(DINOV2)).toBe(false);
    expect(storedBase(DINOV2_FT, WITH_VARIANTS)).toBe(DINOV2);
    expect(storedBase(QWEN_LORA, WITH_VARIANTS)).toBe(QWEN);
    expect(storedBase(ORPHAN, WITH_VARIANTS)).toBeNull();
    expect(storedBase(CLIP, WITH_VARIANTS)).toBeNull();
  });
});

describe('vs=base in the URL', () => {
  it('round-trips in map mode and is left out elsewhere', () => {
    const p = parseViewParams('model=dinov2-ft&method=cls&layer=3&head=2&vs=base');
    expect(p).toEqual({ ...DEFAULT_PARAMS, model: 'dinov2-ft', method: 'cls', layer: 3, head: 2, vs: 'base' });
    expect(serializeViewParams(p)).toBe('model=dinov2-ft&method=cls&layer=3&head=2&vs=base');
    expect(serializeViewParams({ ...p, mode: 'heads' })).toBe('model=dinov2-ft&method=cls&layer=3&head=2&mode=heads');
    expect(viewPath('img 1', { model: 'qwen-lora', method: 'text', prompt: 0, token: { start: 6, end: 9 }, vs: 'base' })).toBe(
      '/view/img%201?model=qwen-lora&method=text&prompt=0&token=6-9&vs=base',
    );
  });

  it('ignores any other value', () => {
    expect(parseViewParams('vs=clip').vs).toBeNull();
    expect(parseViewParams('vs=').vs).toBeNull();
  });
});

describe('resolveView with vs=base', () => {
  it('a variant whose base has maps for the image gets the three panels', () => {
    const view = resolved('model=dinov2-ft&method=cls&layer=3&vs=base');
    expect(view.base).toBe(DINOV2);
    expect(view.vs).toBe(true);
    expect(view.notes).toEqual([]);
    expect(serializeViewParams(canonicalParams(parseViewParams('model=dinov2-ft&vs=base'), view))).toContain('vs=base');
  });

  it('offers the base (view.base) without switching the mode on', () => {
    const view = resolved('model=qwen-lora&method=text');
    expect(view.base).toBe(QWEN);
    expect(view.vs).toBe(false);
  });

  it('a model that is not a variant: the map alone, a note, vs dropped from the URL', () => {
    const params = parseViewParams('model=dinov2&method=cls&vs=base');
    const view = resolved('model=dinov2&method=cls&vs=base');
    expect(view.base).toBeNull();
    expect(view.vs).toBe(false);
    expect(view.notes).toEqual(['dinov2 is not a variant of another model: nothing to compare with; showing dinov2 alone']);
    expect(canonicalParams(params, view).vs).toBeNull();
  });

  it("says why when the base is not stored or has no maps for this image", () => {
    expect(resolved('model=clip-ft&vs=base').notes[0]).toMatch(/clip-ft's base not_stored is not in the store/);
    const image = { models: ['dinov2-ft'], error: null };
    const view = resolved('model=dinov2-ft&vs=base', image);
    expect(view.vs).toBe(false);
    expect(view.notes[0]).toMatch(/dinov2 \(the base of dinov2-ft\) has no maps for this image yet/);
  });

  it('only in map mode: heads and compare ignore it', () => {
    const view = resolved('model=dinov2-ft&mode=heads&vs=base');
    expect(view.vs).toBe(false);
    expect(view.notes).toEqual([]);
  });
});
