"""SigLIP and SigLIP 2 vision towers.

Token layout: [patches in raster order] — no CLS, no registers. The closest thing to a CLS is
the attention-pooling (MAP) head: one learned probe query attending over all patches, exposed
as method `pool`.

SigLIP 2 comes in two architectures: the fixed-resolution checkpoints (`siglip2-*-patch16-224`)
are SigLIP models (model_type "siglip"), the NaFlex ones (model_type "siglip2") take
pre-cut patches plus their grid shape. We feed NaFlex the whole resized image as one
gh×gw grid, so both give maps on the same square grid.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel, Siglip2VisionModel, SiglipVisionModel

from ssl_attention.models.base import Normalization, VisionAdapter
from ssl_attention.models.token_layout import TokenLayout

SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)


def naflex_patches(pixels: torch.Tensor, patch: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, gh·gw, p·p·C): SigLIP 2's patch order (raster) and pixel order (y, x, channel)."""
    batch, channels, height, width = pixels.shape
    gh, gw = height // patch, width // patch
    cut = pixels.reshape(batch, channels, gh, patch, gw, patch).permute(0, 2, 4, 3, 5, 1)
    return cut.reshape(batch, gh * gw, patch * patch * channels)


class SiglipAdapter(VisionAdapter):
    family = "siglip"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {
        "siglip": SiglipVisionModel,
        "siglip_vision_model": SiglipVisionModel,
        "siglip2": Siglip2VisionModel,
        "siglip2_vision_model": Siglip2VisionModel,
    }
    gradient_target = "text"  # the full model's image-text similarity (models/dual_encoder.py)
    default_normalization = Normalization(SIGLIP_MEAN, SIGLIP_STD)

    @classmethod
    def vision_config(cls, config: PretrainedConfig) -> PretrainedConfig:
        return config.vision_config if config.model_type in ("siglip", "siglip2") else config

    @property
    def naflex(self) -> bool:
        return isinstance(self.model, Siglip2VisionModel)

    def layout(self, image_size: int) -> TokenLayout:
        layout = TokenLayout.vit(has_cls=False, registers=0, image_size=image_size, patch=self.patch_size)
        if self.naflex and layout.n_patches > self.config.num_patches:
            raise ValueError(
                f"image size {image_size} gives {layout.n_patches} patches; this SigLIP 2 checkpoint "
                f"takes at most {self.config.num_patches}"
            )
        return layout

    def attention_modules(self) -> list[nn.Module]:
        return [layer.self_attn for layer in self.model.encoder.layers]

    def pooling_head(self) -> nn.Module | None:
        return self.model.head if getattr(self.config, "vision_use_head", True) else None

    def forward(self, pixels: torch.Tensor) -> None:
        if not self.naflex:
            self.model(pixel_values=pixels, interpolate_pos_encoding=True)
            return
        batch = pixels.shape[0]
        gh, gw = pixels.shape[-2] // self.patch_size, pixels.shape[-1] // self.patch_size
        patches = naflex_patches(pixels, self.patch_size)
        self.model(
            pixel_values=patches,
            pixel_attention_mask=torch.ones(batch, gh * gw, dtype=torch.long, device=pixels.device),
            spatial_shapes=torch.tensor([[gh, gw]] * batch, dtype=torch.long, device=pixels.device),
        )
