/**
 * Map methods as the app names them. A ViT's methods keep their names (cls, mean, rollout, pool);
 * a VLM's are named for what they show: the language model's text → image attention, or the
 * vision tower's maps. The viewer's method selector and the metrics dashboard use the same names.
 */
import type { ModelInfo } from '../api/types';

function isVlmModel(model: ModelInfo): boolean {
  return model.kind === 'vlm';
}

const METHOD_HELP: Record<string, string> = {
  cls: 'CLS → patches: where the class token looks',
  mean: 'mean over all queries: the attention each patch receives',
  rollout: 'attention rollout (Abnar & Zuidema 2020) up to this layer; fused only',
  pool: "the pooling head's probe query (SigLIP): one layer",
  gradrollout: 'gradient-weighted rollout (Chefer et al. 2021) of the chosen target (a text prompt, or the top class): one map through every layer',
  gradcam: "Grad-CAM (Selvaraju et al. 2017): the target class's gradient-weighted last-stage features of a CNN; one map",
};

const VLM_METHOD_LABELS: Record<string, string> = {
  text: 'Text → image',
  mean: 'Vision mean',
  rollout: 'Vision rollout',
  gradrollout: 'Gradient relevancy',
};

const VLM_METHOD_HELP: Record<string, string> = {
  text: "the chosen text tokens' attention to the image tokens (language model), on the merged grid: pick tokens under the image",
  mean: "the vision tower's mean over all queries: the attention each patch receives, on the finer pre-merge patch grid",
  rollout: "attention rollout through the vision tower up to this layer, on the pre-merge patch grid; fused only",
  gradrollout:
    'gradient-weighted relevancy (Chefer et al. 2021) of the image tokens to one answer token (precompute --answer-token), over the whole language model; one map per prompt',
};

/** The method's name in the viewer's method selector (a VLM's are spelled out). */
export function methodLabel(model: ModelInfo, method: string): string {
  return isVlmModel(model) ? (VLM_METHOD_LABELS[method] ?? method) : method;
}

export function methodHelp(model: ModelInfo, method: string): string | undefined {
  return isVlmModel(model) ? VLM_METHOD_HELP[method] : METHOD_HELP[method];
}

/**
 * The name of a method's scores: the viewer's name, except that a VLM's `text` maps are scored as
 * one map per image, the mean map of the whole answer (of the image's first prompt).
 */
export function scoredMethodLabel(model: ModelInfo, method: string): string {
  const label = methodLabel(model, method);
  return isVlmModel(model) && method === 'text' ? `${label} (answer)` : label;
}

/** (model key, method) → the name of that model's method in the dashboard; unknown models keep the method's name. */
export type MethodNamer = (model: string, method: string) => string;

export function methodNamer(models: readonly ModelInfo[], name: (model: ModelInfo, method: string) => string = scoredMethodLabel): MethodNamer {
  const byKey = new Map(models.map((m) => [m.key, m]));
  return (key, method) => {
    const model = byKey.get(key);
    return model === undefined ? method : name(model, method);
  };
}

/**
 * A method in a selector over several models (the dashboard's): its scored name, or each of its
 * names when models call it differently ("mean / Vision mean": a ViT's mean and a VLM's vision mean).
 */
export function methodOptionLabel(models: readonly ModelInfo[], method: string): string {
  const names: string[] = [];
  for (const m of models) {
    if (!m.methods.includes(method)) continue;
    const name = scoredMethodLabel(m, method);
    if (!names.includes(name)) names.push(name);
  }
  return names.length === 0 ? method : names.join(' / ');
}

/**
 * The lines under a leaderboard bar, each about as narrow as a bar: the method's name, a longer
 * one split at its middle space ("Vision" / "rollout"), then the layer ("L1").
 */
export function barSublabel(name: string, layer: number): string[] {
  const spaces = [...name.matchAll(/ /g)].map((m) => m.index);
  if (spaces.length === 0) return [name, `L${layer}`];
  const middle = name.length / 2;
  const cut = spaces.reduce((best, i) => (Math.abs(i - middle) < Math.abs(best - middle) ? i : best));
  return [name.slice(0, cut), name.slice(cut + 1), `L${layer}`];
}
