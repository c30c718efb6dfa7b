"""ResNet (transformers' `ResNetForImageClassification`, e.g. microsoft/resnet-50): the `cnn` kind.

A CNN has no tokens and no attention: its one map is Grad-CAM on the last stage's feature grid
(2048 × 7 × 7 at 224 px). The adapter fits the `VisionAdapter` interface so the registry resolves
and loads it like every other model: its `layout` is that grid with no prefix tokens, its "patch"
is the network's total stride (32), it has one "layer" (the last stage) and no heads, and no
attention modules. Its target is a class logit; for faithfulness curves, the logit of the unperturbed image's
top class (`faithfulness_target`).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel, ResNetForImageClassification

from ssl_attention.models.base import VisionAdapter
from ssl_attention.models.target import Target
from ssl_attention.models.token_layout import TokenLayout

DOWNSAMPLINGS = 5  # stem conv, max-pool, stages 2-4: each halves the side, rounding up


def feature_grid(image_size: int) -> tuple[int, int]:
    """The last stage's grid for a square input: ⌈S / 2⌉ five times (7 × 7 at 224 px)."""
    side = image_size
    for _ in range(DOWNSAMPLINGS):
        side = (side + 1) // 2
    return side, side


class ResNetAdapter(VisionAdapter):
    family = "resnet"
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]] = {"resnet": ResNetForImageClassification}

    @property
    def patch_size(self) -> int:
        return 2**DOWNSAMPLINGS  # the total stride: one grid cell covers 32 × 32 input pixels

    @property
    def n_layers(self) -> int:
        return 1  # Grad-CAM is taken at one place: the last stage's output

    @property
    def n_heads(self) -> int:
        return 0

    def layout(self, image_size: int) -> TokenLayout:
        return TokenLayout((), feature_grid(image_size))

    def attention_modules(self) -> list[nn.Module]:
        return []

    def target_layer(self) -> nn.Module:
        """The module whose output Grad-CAM weighs: the last stage (B, C, gh, gw)."""
        stage: nn.Module = self.model.resnet.encoder.stages[-1]
        return stage

    def logits(self, pixels: torch.Tensor) -> torch.Tensor:
        """Class logits (B, classes) of normalised pixels (B, 3, S, S)."""
        logits: torch.Tensor = self.model(pixel_values=pixels).logits
        return logits

    def forward(self, pixels: torch.Tensor) -> None:
        self.logits(pixels)

    def faithfulness_target(self, reference: torch.Tensor) -> Target:
        """The faithfulness target (`precompute --faithfulness`): the logit of the unperturbed
        image's top class, fixed before any perturbation."""
        top = int(self.logits(reference[None]).argmax(-1)[0])
        return Target("class-logit", lambda pixels: self.logits(pixels)[:, top])
