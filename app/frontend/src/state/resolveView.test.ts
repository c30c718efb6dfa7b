import { describe, expect, it } from 'vitest';
import { ALL, BIG, CLIP, DINOV2, FUSED_ONLY, SIGLIP } from '../test/fixtures';
import { canonicalParams, isResolved, resolveView, type ResolvedView } from './resolveView';
import { DEFAULT_PARAMS, parseViewParams, serializeViewParams } from './viewParams';

const everywhere = { models: ALL.map((m) => m.key), error: null };

function resolved(search: string, image = everywhere): ResolvedView {
  const view = resolveView(parseViewParams(search), ALL, image);
  if (!isResolved(view)) throw new Error(`unresolved: ${JSON.stringify(view)}`);
  return view;
}

describe('resolveView', () => {
  it('fills defaults: first available model, its first method, the last layer, fused', () => {
    const view = resolved('');
    expect(view.model).toBe(CLIP);
    expect(view).toMatchObject({ method: 'cls', layer: 11, layers: 12, head: null, fusion: 'mean', perHead: true, notes: [] });
  });

  it('keeps a valid request as it is', () => {
    const view = resolved('model=dinov2&method=mean&layer=4&head=7');
    expect(view.model).toBe(DINOV2);
    expect(view).toMatchObject({ method: 'mean', layer: 4, head: 7, notes: [] });
  });

  it('SigLIP has no CLS: falls back to its first method and says so', () => {
    const view = resolved('model=siglip&method=cls&layer=3');
    expect(view.method).toBe('mean');
    expect(view.notes[0]).toMatch(/no CLS token/);
  });

  it('pool has one layer', () => {
    const view = resolved('model=siglip&method=pool&layer=9');
    expect(view).toMatchObject({ layers: 1, layer: 0, perHead: true });
  });

  it('rollout has no per-head maps: head and fusion are dropped', () => {
    const view = resolved('model=clip&method=rollout&head=3');
    expect(view).toMatchObject({ perHead: false, head: null, fusion: 'mean' });
    expect(view.notes[0]).toMatch(/no per-head maps/);
    expect(resolved('model=clip&method=rollout&fusion=max').fusion).toBe('mean');
  });

  it('a model stored without --per-head has no heads', () => {
    expect(resolved('model=fusedonly&method=cls&head=1')).toMatchObject({ model: FUSED_ONLY, perHead: false, head: null });
  });

  it('clamps out-of-range layers and heads', () => {
    expect(resolved('model=clip&layer=40').layer).toBe(11);
    const view = resolved('model=clip&head=12');
    expect(view.head).toBeNull();
    expect(view.notes[0]).toMatch(/head 12 is out of range/);
  });

  it('only offers models that have maps for this image', () => {
    const view = resolved('model=dinov2', { models: ['siglip', 'big'], error: null });
    expect(view.model).toBe(SIGLIP);
    expect(view.available).toEqual([SIGLIP, BIG]);
    expect(view.notes[0]).toMatch(/dinov2 has no maps for this image/);
    expect(resolved('model=nope').notes[0]).toMatch(/no model 'nope'/);
  });

  it('compare: reference first, then the requested models, 2–6, default up to 4', () => {
    expect(resolved('mode=compare&model=dinov2&models=siglip,big').compare).toEqual([DINOV2, SIGLIP, BIG]);
    expect(resolved('mode=compare&model=big').compare).toEqual([BIG, CLIP, DINOV2, SIGLIP]);
    expect(resolved('mode=compare&model=clip&models=clip,ghost').compare.length).toBe(4);
  });

  it('says why there is nothing to show', () => {
    expect(resolveView(DEFAULT_PARAMS, [], everywhere)).toEqual({ kind: 'no-models' });
    expect(resolveView(DEFAULT_PARAMS, ALL, { models: [], error: null })).toMatchObject({ kind: 'not-precomputed' });
    expect(resolveView(DEFAULT_PARAMS, ALL, { models: [], error: 'broken image data' })).toEqual({
      kind: 'unreadable',
      error: 'broken image data',
    });
  });
});

describe('canonicalParams', () => {
  it('writes the resolved choices so that the link reproduces the view', () => {
    const params = parseViewParams('cmap=magma');
    const view = resolved('cmap=magma');
    expect(serializeViewParams(canonicalParams(params, view))).toBe('model=clip&method=cls&layer=11&cmap=magma');
  });

  it('is a fixed point', () => {
    for (const search of ['', 'model=siglip&method=cls', 'mode=compare&model=big', 'model=clip&method=rollout&head=2']) {
      const params = parseViewParams(search);
      const once = canonicalParams(params, resolved(search));
      const again = canonicalParams(once, resolved(serializeViewParams(once)));
      expect(serializeViewParams(again)).toBe(serializeViewParams(once));
    }
  });
});
