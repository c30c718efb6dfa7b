/** Model descriptions shaped like the API's /models, for unit tests. */
import type { ModelInfo } from '../api/types';

function model(key: string, overrides: Partial<ModelInfo>): ModelInfo {
  return {
    key,
    family: key,
    checkpoint: `hub/${key}`,
    revision: null,
    weights: 'pretrained',
    image_size: 224,
    patch: 16,
    grid: [14, 14],
    layers: 12,
    heads: 12,
    methods: ['cls', 'mean', 'rollout'],
    per_head_methods: ['cls', 'mean'],
    method_layers: { cls: 12, mean: 12, rollout: 12 },
    has_cls: true,
    has_pool: false,
    registers: 0,
    prefix_tokens: ['cls'],
    per_head: true,
    dtype: 'float16',
    schema_version: 1,
    ...overrides,
  };
}

export const DINOV2 = model('dinov2', {
  checkpoint: 'facebook/dinov2-with-registers-base',
  weights: 'random',
  patch: 14,
  grid: [16, 16],
  registers: 4,
  prefix_tokens: ['cls', 'reg0', 'reg1', 'reg2', 'reg3'],
});
export const CLIP = model('clip', {});
export const BIG = model('big', { layers: 24, heads: 16, method_layers: { cls: 24, mean: 24, rollout: 24 } });
export const SIGLIP = model('siglip', {
  methods: ['mean', 'rollout', 'pool'],
  per_head_methods: ['mean', 'pool'],
  method_layers: { mean: 12, rollout: 12, pool: 1 },
  has_cls: false,
  has_pool: true,
  prefix_tokens: [],
});
export const FUSED_ONLY = model('fusedonly', { per_head: false, per_head_methods: [] });

export const ALL = [CLIP, DINOV2, SIGLIP, BIG, FUSED_ONLY];
