/** What the three "vs base" panels ask the API for: the same map of the variant and its base, and their difference. */
import type { ModelInfo } from '../../api/types';

/**
 * The base's prompt for the variant's prompt `prompt`: the same text (prompt indices may differ
 * between the two models' runs), else the same index. Token indices are kept: prompt tokens always
 * line up, and answer tokens do when the answers were teacher-forced (precompute --answer-from).
 */
export function basePrompt(variant: ModelInfo, base: ModelInfo, prompt: number | null): number | null {
  if (prompt === null) return null;
  const text = variant.prompts?.[prompt];
  const index = text === undefined ? -1 : (base.prompts ?? []).indexOf(text);
  return index >= 0 ? index : prompt;
}
