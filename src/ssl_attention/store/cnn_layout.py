"""The store layout of a CNN group (`kind: cnn`): one Grad-CAM map per image.

    <store>/<model>/              attrs: CnnAttrs (checkpoint, weights, grid, target class, ...)
      gradcam/fused   (n, 1, gh, gw)    Grad-CAM on the last stage's grid, for the target class

The group is laid out like a ViT group (row r of every array is image r, one chunk per image),
so it shares the ViT group's writer, reader, damage checks and coordinate arrays: `CnnAttrs`
extends `VitAttrs` with one method, one "layer" (the last stage) and no heads, no prefix tokens.
Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ssl_attention.store.layout import ArraySpec, VitAttrs

CNN_METHODS: tuple[str, ...] = ("gradcam",)


@dataclass(frozen=True)
class CnnAttrs(VitAttrs):
    """`patch`: the network's total stride; `layers` 1, `heads` 0; `target_class`: the class every
    map explains, or None for each image's top class."""

    kind: ClassVar[str] = "cnn"

    target_class: int | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        return CNN_METHODS

    @property
    def per_head_methods(self) -> tuple[str, ...]:
        return ()

    def method_layers(self, method: str) -> int:
        return 1

    def method_heads(self, method: str) -> int:
        return 0

    def array_specs(self) -> list[ArraySpec]:
        gh, gw = self.grid
        return [ArraySpec(m, "fused", (1, gh, gw), ("image", "layer", "y", "x")) for m in self.methods]

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "target_class": self.target_class}
