"""CLIP vision tower.

Token layout: [CLS, patches in raster order]. Checkpoints of the full CLIP model are loaded
through their `vision_config`; learned position embeddings are interpolated to any grid.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import CLIPVisionModel, PretrainedConfig, PreTrainedModel

from ssl_attention.models.base import Normalization, VisionAdapter
from ssl_attention.models.token_layout import TokenLayout

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class ClipAdapter(VisionAdapter):
    family = "clip"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {
        "clip": CLIPVisionModel,
        "clip_vision_model": CLIPVisionModel,
    }
    gradient_target = "text"  # the full model's image-text similarity (models/dual_encoder.py)
    default_normalization = Normalization(CLIP_MEAN, CLIP_STD)

    @classmethod
    def vision_config(cls, config: PretrainedConfig) -> PretrainedConfig:
        return config.vision_config if config.model_type == "clip" else config

    def layout(self, image_size: int) -> TokenLayout:
        return TokenLayout.vit(has_cls=True, registers=0, image_size=image_size, patch=self.patch_size)

    def attention_modules(self) -> list[nn.Module]:
        return [layer.self_attn for layer in self.model.encoder.layers]

    def forward(self, pixels: torch.Tensor) -> None:
        self.model(pixel_values=pixels, interpolate_pos_encoding=True)
