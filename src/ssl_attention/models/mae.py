"""MAE (ViT-MAE encoder).

Token layout: [CLS, patches]. The encoder always shuffles patches by argsort(noise) and keeps
the first (1 - mask_ratio) of them, so we set mask_ratio = 0 and pass noise = 0, 1, 2, …:
argsort is then the identity and the patches stay in raster order.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel, ViTMAEModel

from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.token_layout import TokenLayout


def raster_noise(batch: int, n_patches: int, device: torch.device) -> torch.Tensor:
    """Noise whose argsort is the identity: MAE keeps every patch, in raster order."""
    return torch.arange(n_patches, device=device, dtype=torch.float32).expand(batch, n_patches)


class MaeAdapter(VisionAdapter):
    family = "mae"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {"vit_mae": ViTMAEModel}

    @classmethod
    def prepare_config(cls, config: PretrainedConfig) -> PretrainedConfig:
        config.mask_ratio = 0.0
        return config

    def layout(self, image_size: int) -> TokenLayout:
        return TokenLayout.vit(has_cls=True, registers=0, image_size=image_size, patch=self.patch_size)

    def attention_modules(self) -> list[nn.Module]:
        return [layer.attention for layer in self.model.layers]

    def forward(self, pixels: torch.Tensor) -> None:
        side = pixels.shape[-1] // self.patch_size
        noise = raster_noise(pixels.shape[0], side * side, pixels.device)
        self.model(pixel_values=pixels, noise=noise, interpolate_pos_encoding=True)
