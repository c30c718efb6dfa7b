import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { ALL, BIG, CLIP, DINOV2, FUSED_ONLY, QWEN, QWEN3, SIGLIP, tokensBody, WITH_VLMS } from '../test/fixtures';
import { canonicalParams, isResolved, methodHeads, resolveView, textContextOf, type ResolvedView, type TextContext } from './resolveView';
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

describe('resolveView for a VLM', () => {
  const image = { models: ['clip', 'qwen2_5_vl', 'qwen3_vl'], error: null };
  function vlm(search: string, text: TextContext | null = null): ResolvedView {
    const view = resolveView(parseViewParams(search), WITH_VLMS, image, text);
    if (!isResolved(view)) throw new Error(`unresolved: ${JSON.stringify(view)}`);
    return view;
  }

  it('defaults to text → image on the language model: its last layer, the first prompt, the whole answer', () => {
    const view = vlm('model=qwen2_5_vl');
    expect(view.model).toBe(QWEN);
    expect(view).toMatchObject({ method: 'text', layers: 36, layer: 35, heads: 16, perHead: true, prompt: 0, token: null, notes: [] });
    expect(view.promptChecked).toBe(false);
  });

  it("uses each method's own layers and heads (the vision tower's for mean and rollout)", () => {
    expect(vlm('model=qwen2_5_vl&method=mean')).toMatchObject({ layers: 32, layer: 31, heads: 12, perHead: true });
    expect(vlm('model=qwen2_5_vl&method=mean&layer=35').layer).toBe(31);
    expect(vlm('model=qwen2_5_vl&method=text&layer=35').layer).toBe(35);
    expect(vlm('model=qwen2_5_vl&method=text&head=15').head).toBe(15);
    const tooMany = vlm('model=qwen2_5_vl&method=mean&head=15');
    expect(tooMany.head).toBeNull();
    expect(tooMany.notes[0]).toMatch(/head 15 is out of range for qwen2_5_vl\/mean \(0–11\)/);
    expect(vlm('model=qwen2_5_vl&method=rollout&head=1')).toMatchObject({ perHead: false, head: null, heads: 12 });
    expect(methodHeads(QWEN, 'text')).toBe(16);
    expect(methodHeads(CLIP, 'cls')).toBe(12); // ViTs: every method has the model's heads
  });

  it('keeps prompt and token for text; drops them, with a note, for other methods', () => {
    expect(vlm('model=qwen2_5_vl&method=text&prompt=1&token=6-8')).toMatchObject({ prompt: 1, token: { start: 6, end: 8 }, notes: [] });
    const mean = vlm('model=qwen2_5_vl&method=mean&prompt=1&token=3');
    expect(mean).toMatchObject({ prompt: null, token: null });
    expect(mean.notes[0]).toMatch(/prompt and token/);
    expect(vlm('model=clip&token=3').token).toBeNull();
  });

  it('keeps the prompt for gradrollout (one map per prompt, no token choice, one layer, no heads)', () => {
    const explained = { ...QWEN, methods: [...QWEN.methods, 'gradrollout'], method_layers: { ...QWEN.method_layers, gradrollout: 1 }, method_heads: { ...QWEN.method_heads, gradrollout: 0 } };
    const resolve = (search: string) => resolveView(parseViewParams(search), [...ALL, explained], image, null) as ResolvedView;
    expect(resolve('model=qwen2_5_vl&method=gradrollout&prompt=1')).toMatchObject({ method: 'gradrollout', prompt: 1, token: null, layers: 1, layer: 0, perHead: false, notes: [] });
    expect(resolve('model=qwen2_5_vl&method=gradrollout').prompt).toBeNull(); // the server's default: the first done
    expect(resolve('model=qwen2_5_vl&method=gradrollout&token=3').notes[0]).toMatch(/one map per prompt or target; the token choice is ignored/);
  });

  it("falls back to the first prompt for one the model never ran", () => {
    const view = vlm('model=qwen2_5_vl&prompt=5');
    expect(view.prompt).toBe(0);
    expect(view.notes[0]).toMatch(/no prompt 5 \(0–1\)/);
  });

  it("checks the prompt and the tokens against the image's token list once it is loaded", () => {
    // only prompt 1 was run on this image
    const asked = vlm('model=qwen2_5_vl&prompt=0', { prompts: [1], count: null });
    expect(asked).toMatchObject({ prompt: 1, promptChecked: true });
    expect(asked.notes[0]).toMatch(/prompt 0 was not run on this image; showing prompt 1/);
    expect(vlm('model=qwen2_5_vl', { prompts: [1], count: null })).toMatchObject({ prompt: 1, notes: [] });
    // 10 tokens: 0–9
    expect(vlm('model=qwen2_5_vl&token=2-4', { prompts: [0], count: 10 })).toMatchObject({ token: { start: 2, end: 4 }, notes: [] });
    const long = vlm('model=qwen2_5_vl&token=3-20', { prompts: [0], count: 10 });
    expect(long.token).toEqual({ start: 3, end: 9 });
    expect(long.notes[0]).toMatch(/run past the last token \(9\); showing 3-9/);
    const outside = vlm('model=qwen2_5_vl&token=12', { prompts: [0], count: 10 });
    expect(outside.token).toBeNull();
    expect(outside.notes[0]).toMatch(/token 12 is out of range .*0–9.*whole answer/);
    // unknown count: the token is kept as asked
    expect(vlm('model=qwen2_5_vl&token=300').token).toEqual({ start: 300, end: 300 });
  });

  it('writes the prompt into the URL only once it is checked (or was asked for); the token as resolved', () => {
    const search = 'model=qwen2_5_vl';
    const params = parseViewParams(search);
    expect(serializeViewParams(canonicalParams(params, vlm(search)))).toBe('model=qwen2_5_vl&method=text&layer=35');
    const checked = vlm(search, { prompts: [0, 1], count: 10 });
    expect(serializeViewParams(canonicalParams(params, checked))).toBe('model=qwen2_5_vl&method=text&prompt=0&layer=35');
    const clamped = 'model=qwen2_5_vl&method=text&prompt=0&token=8-30&layer=3';
    expect(serializeViewParams(canonicalParams(parseViewParams(clamped), vlm(clamped, { prompts: [0], count: 10 })))).toBe(
      'model=qwen2_5_vl&method=text&prompt=0&token=8-9&layer=3',
    );
    const mean = 'model=qwen2_5_vl&method=mean&prompt=1&token=3';
    expect(serializeViewParams(canonicalParams(parseViewParams(mean), vlm(mean)))).toBe('model=qwen2_5_vl&method=mean&layer=31');
  });

  it('is a fixed point', () => {
    const context = { prompts: [0, 1], count: 10 };
    for (const search of ['model=qwen2_5_vl', 'model=qwen2_5_vl&token=9-2&prompt=1', 'model=qwen3_vl&method=rollout&head=2', 'model=qwen2_5_vl&token=40']) {
      const once = canonicalParams(parseViewParams(search), vlm(search, context));
      const again = canonicalParams(once, vlm(serializeViewParams(once), context));
      expect(serializeViewParams(again)).toBe(serializeViewParams(once));
    }
  });

  it('compares VLMs and ViTs together', () => {
    expect(vlm('mode=compare&model=qwen2_5_vl').compare).toEqual([QWEN, CLIP, QWEN3]);
  });
});

describe('textContextOf', () => {
  const q = { imageId: 'astronaut', model: 'qwen2_5_vl', prompt: 0 };
  it("reads the image's prompts and the token count from the token list", () => {
    expect(textContextOf(q, tokensBody({ prompts: [{ index: 0, text: 'a' }, { index: 2, text: 'b' }] }), null)).toEqual({ prompts: [0, 2], count: 10 });
  });
  it("ignores another prompt's list (still on screen while the next loads)", () => {
    expect(textContextOf({ ...q, prompt: 1 }, tokensBody(), null)).toBeNull();
    expect(textContextOf({ ...q, model: 'qwen3_vl' }, tokensBody(), null)).toBeNull();
    expect(textContextOf(null, tokensBody(), null)).toBeNull();
  });
  it("takes the prompts done from the API's 400 for a prompt not run on this image", () => {
    const error = new ApiError(400, 'prompt 0 was not run for astronaut', 'prompt', [1, 2]);
    expect(textContextOf(q, undefined, error)).toEqual({ prompts: [1, 2], count: null });
    expect(textContextOf(q, undefined, new ApiError(400, 'x', 'head', { min: 0, max: 15 }))).toBeNull();
    expect(textContextOf(q, undefined, new ApiError(503, 'down'))).toBeNull();
  });
});
