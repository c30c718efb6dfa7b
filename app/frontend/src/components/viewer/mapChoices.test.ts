import { describe, expect, it } from 'vitest';
import { CLIP, QWEN, QWEN3, RESNET, WITH_VLMS } from '../../test/fixtures';
import { isResolved, resolveView, type ResolvedView } from '../../state/resolveView';
import { parseViewParams } from '../../state/viewParams';
import { compareText } from './CompareView';
import { methodLabel } from '../../lib/methods';
import { modelSummary, switchMethod, switchModel } from './mapChoices';
import { mapLabel } from './MapView';

function view(search: string): ResolvedView {
  const resolved = resolveView(parseViewParams(search), WITH_VLMS, { models: ['clip', 'qwen2_5_vl', 'qwen3_vl'], error: null });
  if (!isResolved(resolved)) throw new Error('unresolved');
  return resolved;
}

describe('the controls of a VLM', () => {
  it('name its methods for what they show; ViT methods keep their names', () => {
    expect(QWEN.methods.map((m) => methodLabel(QWEN, m))).toEqual(['Text → image', 'Vision mean', 'Vision rollout']);
    expect(methodLabel(CLIP, 'mean')).toBe('mean');
  });

  it('describe the model without a fixed grid', () => {
    expect(modelSummary(QWEN, view('model=qwen2_5_vl&method=mean'))).toBe(
      'Qwen/Qwen2.5-VL-3B-Instruct · VLM, patch 14, 2×2 merge · grid per image · 32 layers · 12 heads',
    );
    expect(modelSummary(CLIP)).toBe('hub/clip · 14×14 grid · 12 layers · 12 heads');
  });

  it("switch method: the new method's depth and heads; prompt and token start afresh", () => {
    const text = view('model=qwen2_5_vl&method=text&prompt=1&token=4-6&layer=35&head=15');
    expect(switchMethod(text, 'mean')).toEqual({ method: 'mean', prompt: null, token: null, layer: 31, head: null, fusion: 'mean' });
    expect(switchMethod(view('model=qwen2_5_vl&method=mean&head=3'), 'text')).toMatchObject({ method: 'text', head: 3, layer: 35 });
    expect(switchMethod(text, 'rollout')).toMatchObject({ head: null, fusion: 'mean' });
  });

  it('switch model: a prompt is kept by its text, the tokens reset (tokenizers differ)', () => {
    const text = view('model=qwen2_5_vl&method=text&prompt=1&token=4-6&layer=35&head=3');
    expect(switchModel(text, QWEN3)).toEqual({ model: 'qwen3_vl', method: 'text', prompt: 0, token: null, layer: 27, head: 3 });
    expect(switchModel(view('model=qwen2_5_vl&method=text&prompt=0'), QWEN3).prompt).toBe(1);
    // to a ViT: its first method, no prompt
    expect(switchModel(text, CLIP)).toMatchObject({ model: 'clip', method: 'cls', prompt: null, token: null, layer: 11 });
    // from a ViT's mean to a VLM's vision mean, at the same depth
    expect(switchModel(view('model=clip&method=mean&layer=11&head=11'), QWEN)).toMatchObject({ method: 'mean', layer: 31, head: 11 });
  });

  it('label a text map with its prompt and tokens', () => {
    expect(mapLabel(view('model=qwen2_5_vl&method=text&prompt=1&token=4-6&layer=20&head=3'))).toBe(
      'qwen2_5_vl · text · prompt 1 · tokens 4–6 · layer 20 · head 3',
    );
    expect(mapLabel(view('model=qwen2_5_vl&token=7&layer=2'))).toBe('qwen2_5_vl · text · prompt 0 · token 7 · layer 2 · fused (mean)');
    expect(mapLabel(view('model=qwen2_5_vl&layer=2'))).toBe('qwen2_5_vl · text · prompt 0 · answer · layer 2 · fused (mean)');
    expect(mapLabel(view('model=clip&method=cls&layer=2'))).toBe('clip · cls · layer 2 · fused (mean)');
  });

  it('compare: the reference keeps its tokens, another VLM shows the same prompt and its whole answer', () => {
    const reference = view('model=qwen2_5_vl&method=text&prompt=1&token=4-6');
    expect(compareText(QWEN, reference)).toEqual({ prompt: 1, token: { start: 4, end: 6 } });
    expect(compareText(QWEN3, reference)).toEqual({ prompt: 0, token: null });
    expect(compareText(QWEN3, view('model=qwen2_5_vl&method=text&prompt=0'))).toEqual({ prompt: 1, token: null });
  });
});

describe('the controls of a CNN', () => {
  it('describe its one map: no layers or heads', () => {
    expect(modelSummary(RESNET)).toBe('microsoft/resnet-50 · CNN · 7×7 grid (last stage, stride 32)');
  });

  it('switching to it from a ViT lands on its one layer, no head', () => {
    expect(switchModel(view('model=clip&method=cls&layer=11&head=3'), RESNET)).toEqual({
      model: 'resnet50', method: 'gradcam', prompt: null, token: null, layer: 0, head: null,
    });
  });
});
