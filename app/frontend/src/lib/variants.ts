/**
 * Named variants (precompute --variant NAME=KEY): a model whose name differs from its registry key
 * (`base_key`) is a variant — a fine-tuned checkpoint or an adapter on the model stored under that
 * key. Its *stored base* is the model whose name is the variant's `base_key`, when the store has one.
 */
import type { ModelInfo } from '../api/types';

export function isVariant(model: Pick<ModelInfo, 'key' | 'base_key'>): boolean {
  return model.base_key !== model.key;
}

/** The variant's stored base (null: not a variant, or its base is not in the store). */
export function storedBase(model: ModelInfo, models: readonly ModelInfo[]): ModelInfo | null {
  if (!isVariant(model)) return null;
  return models.find((m) => m.key === model.base_key) ?? null;
}
