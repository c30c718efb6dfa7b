"""DINOv2 (with or without registers).

Token layout: [CLS, reg0 … reg{R-1}, patches in raster order], R = config.num_register_tokens
(0 for plain DINOv2). Learned position embeddings are interpolated to any grid.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import Dinov2Model, Dinov2WithRegistersModel, PreTrainedModel

from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.token_layout import TokenLayout


class Dinov2Adapter(VisionAdapter):
    family = "dinov2"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {
        "dinov2_with_registers": Dinov2WithRegistersModel,
        "dinov2": Dinov2Model,
    }

    def layout(self, image_size: int) -> TokenLayout:
        registers = int(getattr(self.config, "num_register_tokens", 0))
        return TokenLayout.vit(
            has_cls=True, registers=registers, image_size=image_size, patch=self.patch_size
        )

    def attention_modules(self) -> list[nn.Module]:
        return [layer.attention for layer in self.model.encoder.layer]

    def forward(self, pixels: torch.Tensor) -> None:
        self.model(pixel_values=pixels)
