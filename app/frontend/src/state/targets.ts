/**
 * gradrollout's targets: a ViT stores one gradient-weighted rollout map per target (a CLIP/SigLIP
 * `--target-text` prompt, or a classifier's `class:top`), listed in the model's `prompts`; the
 * `prompt` parameter is the target's index there, as it is a VLM prompt's for method `text`.
 */
import type { ModelInfo } from '../api/types';

/**
 * The target shown: the asked index when the model has it, else the first (with a note); none
 * asked: null, the server's default (the image's first target, or VLM prompt, done).
 */
export function resolveTarget(model: ModelInfo, asked: number | null, notes: string[]): { prompt: number | null; promptChecked: boolean } {
  const known = model.prompts ?? [];
  const prompt = asked;
  if (prompt !== null && known.length > 0 && prompt > known.length - 1) {
    notes.push(`${model.key} has no gradrollout target ${prompt} (0–${known.length - 1}); showing target 0 (${targetLabel(known[0])})`);
    return { prompt: 0, promptChecked: false };
  }
  return { prompt, promptChecked: false };
}

/** How a target reads in the app: a prompt in quotes, `class:top` as "top class", `class:N` as "class N". */
export function targetLabel(target: string | undefined): string {
  if (target === undefined) return '';
  if (target === 'class:top') return 'top class';
  if (target.startsWith('class:')) return `class ${target.slice('class:'.length)}`;
  return `“${target}”`;
}
