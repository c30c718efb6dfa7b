"""The precompute runner of CNNs (`kind: cnn`, e.g. `resnet50`): Grad-CAM of every pending image.

Images are resized to `--image-size` and normalised like a ViT's; the map is Grad-CAM on the
last stage's grid for `--target-class N`, or for each image's top class (see
`ssl_attention.attention.gradcam`). The group is laid out like a ViT group (`store/cnn_layout.py`),
so planning, resuming, repairing and writing are the ViT runner's; only the attrs and the
engine differ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from precompute.kind import Decoded, WorkItem
from precompute.options import RunError, RunOptions
from precompute.vit import VitRunner, skeleton, vit_attrs
from ssl_attention.attention.gradcam import GradCam
from ssl_attention.data.gallery import ImageDecodeError, decode
from ssl_attention.models.preprocess import to_pixels
from ssl_attention.models.registry import ResolvedModel
from ssl_attention.models.resnet import ResNetAdapter
from ssl_attention.store.cnn_layout import CnnAttrs


class CnnEngine:
    """A CNN on its device: decodes to normalised pixels, returns a batch's Grad-CAM as float16."""

    def __init__(
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> None:
        adapter = model.load()
        assert isinstance(adapter, ResNetAdapter), f"{model.name} is not a CNN"
        adapter.model.to(device)
        self.device, self.images, self.size = device, options.images, options.image_size
        self.normalization = model.normalization
        self.gradcam = GradCam(adapter, target_class=options.target_class, autocast_dtype=dtype)

    def decode(self, item: WorkItem) -> Decoded:
        try:
            image = decode(Path(self.images) / item.file.path, within=Path(self.images))
        except ImageDecodeError as error:
            return Decoded(item, error=str(error))
        return Decoded(item, image, to_pixels(image.image, self.size, self.normalization))

    def compute(
        self, items: Sequence[Decoded], progress: Callable[[int], None] | None = None
    ) -> dict[str, np.ndarray]:
        pixels = torch.from_numpy(np.stack([item.pixels for item in items if item.pixels is not None]))
        maps, _classes = self.gradcam(pixels.to(self.device))
        return {"gradcam/fused": maps[:, None].to(torch.float16).cpu().numpy()}  # (B, 1 layer, gh, gw)


class CnnRunner(VitRunner):
    """The ViT runner's plan and write, with CNN attrs and the Grad-CAM engine."""

    def group_attrs(self, model: ResolvedModel, options: RunOptions) -> CnnAttrs:
        vit = vit_attrs(model, skeleton(model), options)
        fields = {field.name: getattr(vit, field.name) for field in dataclasses.fields(vit)}
        return CnnAttrs(
            **{**fields, "has_cls": False, "has_pool": False, "prefix_tokens": ()},
            target_class=options.target_class,
        )

    def validate(self, options: RunOptions, models: Sequence[ResolvedModel]) -> None:
        for model in models:
            classes = len(model.config.id2label or {})
            if options.target_class is not None and not 0 <= options.target_class < classes:
                raise RunError(
                    f"--target-class {options.target_class} is outside {model.name}'s classes; use 0 to {classes - 1}"
                )
            if options.image_size < 32:
                raise RunError(f"--image-size for {model.name} must be at least 32 pixels (its stride)")

    def load(  # type: ignore[override]  # a CnnEngine, not a VitEngine: both are Engines
        self, model: ResolvedModel, options: RunOptions, device: torch.device, dtype: torch.dtype
    ) -> CnnEngine:
        return CnnEngine(model, options, device, dtype)


RUNNER = CnnRunner()
