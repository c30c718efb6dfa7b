"""Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization") on a CNN's last stage.

With A ∈ ℝ^{C×h×w} the last stage's output and y_c the target class's logit:

    α_k = (1 / hw) Σ_{i,j} ∂y_c / ∂A_k[i, j]        Grad-CAM = ReLU(Σ_k α_k · A_k)    (h × w)

Only the head (pooling + classifier) is differentiated: a forward hook turns the stage's output
into a leaf that requires grad, the backbone runs without building a graph, so a batch costs one
forward plus the head's backward. Images of a batch are independent (the network is in eval
mode: batch norm uses its running statistics), so one backward of Σ_b y_{c_b} gives each its own.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from ssl_attention.attention.targets import class_score, top_classes
from ssl_attention.models.resnet import ResNetAdapter


class GradCam:
    """pixels (B, 3, S, S) → (maps (B, gh, gw) float32, classes (B,)) for a `ResNetAdapter`."""

    def __init__(
        self,
        adapter: ResNetAdapter,
        *,
        target_class: int | None = None,
        autocast_dtype: torch.dtype | None = None,
    ) -> None:
        self.adapter = adapter
        self.target_class = target_class
        self.autocast_dtype = autocast_dtype
        adapter.model.requires_grad_(False)  # gradients w.r.t. the activations only
        self._activation: torch.Tensor | None = None

    def _keep(self, module: nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
        leaf = output.detach().requires_grad_(True)
        self._activation = leaf
        return leaf

    def _autocast(self, device: torch.device) -> Any:
        if self.autocast_dtype is None or self.autocast_dtype == torch.float32:
            return nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.autocast_dtype)

    def __call__(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hook = self.adapter.target_layer().register_forward_hook(self._keep)
        try:
            with torch.enable_grad(), self._autocast(pixels.device):
                logits = self.adapter.logits(pixels)
            classes = top_classes(logits, self.target_class)
            activation = self._activation
            assert activation is not None, "the last stage did not run"
            (gradient,) = torch.autograd.grad(class_score(logits.float(), classes).sum(), activation)
        finally:
            hook.remove()
            self._activation = None
        weights = gradient.float().mean(dim=(2, 3), keepdim=True)  # α_k
        cam = torch.relu((weights * activation.detach().float()).sum(dim=1))
        return cam, classes
