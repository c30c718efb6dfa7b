import type { ModelInfo } from '../../api/types';
import { layerAtFraction, layerFraction } from '../../lib/render';
import { hasPerHead, isVlm, methodHeads, methodLayers, type ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';

/** The line under the model selector: checkpoint, grid, depth and heads. */
export function modelSummary(model: ModelInfo, view?: Pick<ResolvedView, 'layers' | 'heads'>): string {
  const layers = view?.layers ?? model.layers;
  const heads = view?.heads ?? model.heads;
  const grid = model.grid !== null ? `${model.grid[0]}×${model.grid[1]} grid` : 'grid per image';
  if (model.heads === 0) return `${model.checkpoint} · CNN · ${grid} (last stage, stride ${model.patch})`;
  const vlm = isVlm(model) ? ` · VLM, patch ${model.patch}${model.merge ? `, ${model.merge}×${model.merge} merge` : ''}` : '';
  return `${model.checkpoint}${vlm} · ${grid} · ${layers} layers · ${heads} heads`;
}

/**
 * Choose a model, keeping the depth (layer fraction), the method and the head where possible; a
 * VLM's prompt is kept by its text (token indices differ between tokenizers: the answer is shown).
 */
export function switchModel(view: ResolvedView, next: ModelInfo): Partial<ViewParams> {
  const method = next.methods.includes(view.method) ? view.method : next.methods[0]!;
  const layers = methodLayers(next, method);
  const layer = layerAtFraction(layerFraction(view.layer, view.layers), layers);
  const head = view.head !== null && hasPerHead(next, method) && view.head < methodHeads(next, method) ? view.head : null;
  let prompt: number | null = null;
  if ((method === 'text' || method === 'gradrollout') && view.prompt !== null) {
    const text = view.model.prompts?.[view.prompt];
    const index = text === undefined ? -1 : (next.prompts ?? []).indexOf(text);
    prompt = index >= 0 ? index : null;
  }
  return { model: next.key, method, prompt, token: null, layer, head };
}

export function switchMethod(view: ResolvedView, method: string): Partial<ViewParams> {
  const layers = methodLayers(view.model, method);
  const layer = layerAtFraction(layerFraction(view.layer, view.layers), layers);
  const perHead = hasPerHead(view.model, method);
  const head = view.head !== null && perHead && view.head < methodHeads(view.model, method) ? view.head : null;
  return { method, prompt: null, token: null, layer, head, fusion: perHead ? view.fusion : 'mean' };
}
