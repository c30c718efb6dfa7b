"""Tiny random-init checkpoints of every family, saved with save_pretrained like a user's folder."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers as T

PATCH = 4
IMAGE_SIZE = 24  # 6×6 grid
HEADS = 2


def tiny_configs() -> dict[str, T.PretrainedConfig]:
    common = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=HEADS, patch_size=PATCH)
    return {
        "dinov2": T.Dinov2WithRegistersConfig(**common, mlp_ratio=2, image_size=16, num_register_tokens=4),
        "dinov3": T.DINOv3ViTConfig(**common, intermediate_size=64, image_size=16, num_register_tokens=4),
        "mae": T.ViTMAEConfig(**common, intermediate_size=64, image_size=16, mask_ratio=0.75),
        "clip": T.CLIPVisionConfig(**common, intermediate_size=64, image_size=16),
        "siglip": T.SiglipVisionConfig(
            **{**common, "num_attention_heads": 4}, intermediate_size=64, image_size=16
        ),
        "siglip2": T.Siglip2VisionConfig(**common, intermediate_size=64, num_patches=64),
    }


MODEL_CLASSES = {
    "dinov2": T.Dinov2WithRegistersModel,
    "dinov3": T.DINOv3ViTModel,
    "mae": T.ViTMAEModel,
    "clip": T.CLIPVisionModel,
    "siglip": T.SiglipVisionModel,
    "siglip2": T.Siglip2VisionModel,
}

NORMALIZATION = {"image_mean": [0.4, 0.5, 0.6], "image_std": [0.2, 0.25, 0.3]}


def save_tiny_checkpoints(folder: Path) -> dict[str, Path]:
    """One folder per key with config.json, model.safetensors and preprocessor_config.json."""
    paths: dict[str, Path] = {}
    for index, (key, config) in enumerate(tiny_configs().items()):
        torch.manual_seed(100 + index)
        model = MODEL_CLASSES[key](config)
        # Sharpen attention a little so maps are not all uniform (random init gives near-uniform softmax).
        with torch.no_grad():
            for name, param in model.named_parameters():
                if (
                    "q_proj.weight" in name
                    or "query.weight" in name
                    or "k_proj.weight" in name
                    or "key.weight" in name
                ):
                    param.mul_(4.0)
        target = folder / key
        model.save_pretrained(target)
        (target / "preprocessor_config.json").write_text(json.dumps(NORMALIZATION))
        paths[key] = target
    return paths
