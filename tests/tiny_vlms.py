"""Tiny random-init Qwen2.5-VL and Qwen3-VL checkpoints, saved like a user's folder:
config + weights (save_pretrained), a tokenizer with the chat markers, and an image processor."""

from __future__ import annotations

from pathlib import Path

import torch
import transformers as T

from ssl_attention.models.qwen_vl import byte_level_tokenizer

VOCAB = 300
SPECIAL_TOKENS = {
    "<|endoftext|>": 294,
    "<|im_start|>": 295,
    "<|im_end|>": 296,
    "<|vision_start|>": 292,
    "<|vision_end|>": 293,
    "<|image_pad|>": 290,
}
TOKEN_IDS = {
    "image_token_id": 290,
    "video_token_id": 291,
    "vision_start_token_id": 292,
    "vision_end_token_id": 293,
}
TEXT = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    vocab_size=VOCAB,
    max_position_embeddings=1024,
    bos_token_id=294,
    eos_token_id=296,
    pad_token_id=294,
)
# Pixel bounds for tests: small images, a few dozen patches.
MIN_PIXELS = 28 * 28 * 4
MAX_PIXELS = 28 * 28 * 30


def tiny_vlm_configs() -> dict[str, T.PretrainedConfig]:
    return {
        "qwen2_5_vl": T.Qwen2_5_VLConfig(
            text_config={**TEXT, "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]}},
            vision_config=dict(
                depth=3,
                hidden_size=32,
                intermediate_size=64,
                num_heads=2,
                patch_size=14,
                spatial_merge_size=2,
                out_hidden_size=64,
                window_size=56,  # 2×2 merged tokens per window: several windows per image
                fullatt_block_indexes=[1],
                temporal_patch_size=2,
            ),
            **TOKEN_IDS,
        ),
        "qwen3_vl": T.Qwen3VLConfig(
            text_config={
                **TEXT,
                "head_dim": 16,
                "rope_scaling": {
                    "rope_type": "default",
                    "mrope_section": [2, 3, 3],
                    "mrope_interleaved": True,
                },
            },
            vision_config=dict(
                depth=3,
                hidden_size=32,
                intermediate_size=64,
                num_heads=2,
                patch_size=16,
                spatial_merge_size=2,
                out_hidden_size=64,
                temporal_patch_size=2,
                num_position_embeddings=64,
                deepstack_visual_indexes=[1],
            ),
            **TOKEN_IDS,
        ),
    }


MODEL_CLASSES = {
    "qwen2_5_vl": T.Qwen2_5_VLForConditionalGeneration,
    "qwen3_vl": T.Qwen3VLForConditionalGeneration,
}


def save_tiny_vlms(folder: Path) -> dict[str, Path]:
    """One folder per key: config.json, model.safetensors, tokenizer files, preprocessor_config.json."""
    paths: dict[str, Path] = {}
    for index, (key, config) in enumerate(tiny_vlm_configs().items()):
        torch.manual_seed(200 + index)
        model = MODEL_CLASSES[key](config)
        with torch.no_grad():  # sharper attention than random init's near-uniform softmax
            for name, param in model.named_parameters():
                if name.endswith(("q_proj.weight", "k_proj.weight", "attn.qkv.weight")):
                    param.mul_(3.0)
        target = folder / key
        model.save_pretrained(target)
        byte_level_tokenizer(SPECIAL_TOKENS).save_pretrained(target)
        patch = config.vision_config.patch_size
        T.Qwen2VLImageProcessor(
            patch_size=patch,
            merge_size=2,
            temporal_patch_size=2,
            image_mean=[0.4, 0.5, 0.6],
            image_std=[0.2, 0.25, 0.3],
        ).save_pretrained(target)
        paths[key] = target
    return paths
