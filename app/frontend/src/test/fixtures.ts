/** Model descriptions shaped like the API's /models, for unit tests. */
import type { ModelInfo, TextToken, TokensBody } from '../api/types';

function model(key: string, overrides: Partial<ModelInfo>): ModelInfo {
  const methods = overrides.methods ?? ['cls', 'mean', 'rollout'];
  return {
    key,
    family: key,
    checkpoint: `hub/${key}`,
    revision: null,
    weights: 'pretrained',
    kind: 'vit',
    image_size: 224,
    patch: 16,
    grid: [14, 14],
    layers: 12,
    heads: 12,
    methods: ['cls', 'mean', 'rollout'],
    per_head_methods: ['cls', 'mean'],
    method_layers: { cls: 12, mean: 12, rollout: 12 },
    method_heads: Object.fromEntries(methods.map((m) => [m, overrides.heads ?? 12])),
    prompts: [],
    merge: null,
    min_pixels: null,
    max_pixels: null,
    max_new_tokens: null,
    has_cls: true,
    has_pool: false,
    registers: 0,
    prefix_tokens: ['cls'],
    per_head: true,
    dtype: 'float16',
    schema_version: 1,
    ...overrides,
    // the registry key (ModelInfo.base_key, being added to the API): here always the model's own key;
    // spread, so that this type-checks both before and after `npm run types` picks the field up
    ...{ base_key: key },
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
/** A CNN as /models describes it: one Grad-CAM map per image, 1 layer, 0 heads. */
export const RESNET = model('resnet50', {
  kind: 'cnn',
  checkpoint: 'microsoft/resnet-50',
  patch: 32,
  grid: [7, 7],
  layers: 1,
  heads: 0,
  methods: ['gradcam'],
  per_head_methods: [],
  method_layers: { gradcam: 1 },
  method_heads: { gradcam: 0 },
  has_cls: false,
  prefix_tokens: [],
  per_head: false,
});

/** A VLM as /models describes it: no fixed grid, the text maps on the language model's 36 layers × 16 heads,
 * the vision tower's maps on its own 32 layers × 16 heads (rollout fused only), two prompts. */
export const QWEN = model('qwen2_5_vl', {
  family: 'qwen2_5_vl',
  checkpoint: 'Qwen/Qwen2.5-VL-3B-Instruct',
  kind: 'vlm',
  image_size: null,
  patch: 14,
  grid: null,
  layers: 36,
  heads: 16,
  methods: ['text', 'mean', 'rollout'],
  per_head_methods: ['text', 'mean'],
  method_layers: { text: 36, mean: 32, rollout: 32 },
  method_heads: { text: 16, mean: 12, rollout: 12 },
  prompts: ['Describe this image.', 'Where is the flag?'],
  merge: 2,
  min_pixels: 3136,
  max_pixels: 200704,
  max_new_tokens: 64,
  has_cls: false,
  registers: 0,
  prefix_tokens: [],
});

/** Another VLM with the same first prompt (switching models keeps a prompt by its text). */
export const QWEN3 = model('qwen3_vl', {
  ...QWEN,
  key: 'qwen3_vl',
  family: 'qwen3_vl',
  checkpoint: 'Qwen/Qwen3-VL-2B-Instruct',
  layers: 28,
  method_layers: { text: 28, mean: 24, rollout: 24 },
  method_heads: { text: 16, mean: 16, rollout: 16 },
  prompts: ['Where is the flag?', 'Describe this image.'],
});

const token = (index: number, text: string, role: TextToken['role']): TextToken => ({ index, id: 1000 + index, text, role, position: 200 + index });

/** A /tokens answer: 3 template tokens, 3 prompt tokens, 2 template tokens, a 4-token answer; 4 layers. */
export function tokensBody(overrides: Partial<TokensBody> = {}): TokensBody {
  const tokens = [
    token(0, '<|vision_end|>', 'template'),
    token(1, 'Describe', 'prompt'),
    token(2, ' this', 'prompt'),
    token(3, ' image.', 'prompt'),
    token(4, '<|im_end|>', 'template'),
    token(5, '\n', 'template'),
    token(6, 'An', 'answer'),
    token(7, ' astronaut', 'answer'),
    token(8, ' in', 'answer'),
    token(9, ' space', 'answer'),
  ];
  return {
    image_id: 'astronaut',
    model: 'qwen2_5_vl',
    weights: 'random',
    prompt: 0,
    prompt_text: 'Describe this image.',
    answer: 'An astronaut in space',
    answer_from: null,
    own_answer: 'An astronaut in space',
    text_id: 'astronaut.p0',
    prompts: [{ index: 0, text: 'Describe this image.' }],
    grid: [3, 4],
    vision_grid: [6, 8],
    resized: [84, 112],
    image_tokens: [188, 200],
    layers: 4,
    heads: 16,
    head: null,
    tokens,
    image_mass: tokens.map((t) => [0.1, 0.2, 0.3, t.index / 20]),
    ...overrides,
  };
}

export const ALL = [CLIP, DINOV2, SIGLIP, BIG, FUSED_ONLY];
export const WITH_VLMS = [...ALL, QWEN, QWEN3];

/** `model` stored under another name (precompute --variant NAME=KEY): base_key names its registry key. */
export function variantOf(base: ModelInfo, key: string, overrides: Partial<ModelInfo> = {}): ModelInfo {
  return { ...base, key, checkpoint: `${base.checkpoint}+lora`, base_key: base.key, ...overrides };
}

/** A fine-tuned DINOv2 beside its base; a LoRA on the Qwen2.5-VL; a variant whose base is not stored. */
export const DINOV2_FT = variantOf(DINOV2, 'dinov2-ft', { weights: 'pretrained' });
export const QWEN_LORA = variantOf(QWEN, 'qwen-lora');
export const ORPHAN = variantOf(CLIP, 'clip-ft', { base_key: 'not_stored' });
export const WITH_VARIANTS = [...WITH_VLMS, DINOV2_FT, QWEN_LORA, ORPHAN];
