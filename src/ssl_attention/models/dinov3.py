"""DINOv3 ViT.

Token layout: [CLS, reg0 … reg{R-1}, patches in raster order], R = config.num_register_tokens.
Positions are 2-D RoPE applied to the patch tokens only; the capture backend sees q and k after
RoPE, so the recomputed attention is the model's own.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import DINOv3ViTModel, PreTrainedModel

from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.token_layout import TokenLayout


class Dinov3Adapter(VisionAdapter):
    family = "dinov3"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {"dinov3_vit": DINOv3ViTModel}

    def layout(self, image_size: int) -> TokenLayout:
        registers = int(self.config.num_register_tokens)
        return TokenLayout.vit(
            has_cls=True, registers=registers, image_size=image_size, patch=self.patch_size
        )

    def attention_modules(self) -> list[nn.Module]:
        return [layer.attention for layer in self.model.model.layer]

    def forward(self, pixels: torch.Tensor) -> None:
        self.model(pixel_values=pixels)
