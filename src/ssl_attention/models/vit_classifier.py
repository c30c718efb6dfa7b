"""A ViT with a classification head (transformers' `ViTForImageClassification`, e.g.
google/vit-base-patch16-224): registry key `vit_in1k` (`vit` is the `--models` word for every vision transformer).

Token layout: [CLS, patches in raster order]; learned position embeddings are interpolated to
any grid. Its maps are a ViT's (`cls`, `mean`, `rollout`) plus gradient-weighted rollout
(`gradrollout`), whose target is a class logit: each image's top class, or `--target-class N`
(`ssl_attention.attention.targets`). For faithfulness curves its target is, like ResNet's, the
logit of the unperturbed image's top class.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel, ViTForImageClassification

from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.target import Target
from ssl_attention.models.token_layout import TokenLayout


class VitClassifierAdapter(VisionAdapter):
    family = "vit_classifier"
    gradient_target = "class"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {"vit": ViTForImageClassification}

    def layout(self, image_size: int) -> TokenLayout:
        return TokenLayout.vit(has_cls=True, registers=0, image_size=image_size, patch=self.patch_size)

    def attention_modules(self) -> list[nn.Module]:
        return [layer.attention for layer in self.model.vit.layers]

    def logits(self, pixels: torch.Tensor) -> torch.Tensor:
        """Class logits (B, classes) of normalised pixels (B, 3, S, S)."""
        logits: torch.Tensor = self.model(pixel_values=pixels, interpolate_pos_encoding=True).logits
        return logits

    def forward(self, pixels: torch.Tensor) -> None:
        self.logits(pixels)

    def faithfulness_target(self, reference: torch.Tensor) -> Target:
        """The logit of the unperturbed image's top class, fixed before any perturbation."""
        top = int(self.logits(reference[None]).argmax(-1)[0])
        return Target("class-logit", lambda pixels: self.logits(pixels)[:, top])
