"""What every model adapter provides: loading, preprocessing constants, token layout, forward."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.models.normalization import Normalization
from ssl_attention.models.token_layout import TokenLayout

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VisionAdapter(ABC):
    """One model family. Subclasses are small and explicit: which transformers class, which
    config fields give the token layout, which modules are the attention layers, how to call it."""

    family: ClassVar[str]
    # config.model_type values this adapter loads, mapped to the transformers class to build.
    model_classes: ClassVar[dict[str, type[PreTrainedModel]]]
    default_normalization: ClassVar[Normalization] = Normalization(IMAGENET_MEAN, IMAGENET_STD)
    # What gradient-weighted rollout (`gradrollout`) explains: "text" (a dual encoder's
    # image-text similarity, `--target-text`), "class" (a head's class logit), None (no target).
    gradient_target: ClassVar[str | None] = None

    def __init__(self, model: PreTrainedModel, normalization: Normalization) -> None:
        self.model = model.eval()
        self.normalization = normalization

    # --- loading ------------------------------------------------------------------------------

    @classmethod
    def vision_config(cls, config: PretrainedConfig) -> PretrainedConfig:
        """The config of the vision tower (composite CLIP/SigLIP configs hold it in `vision_config`)."""
        return config

    @classmethod
    def model_class(cls, config: PretrainedConfig) -> type[PreTrainedModel]:
        return cls.model_classes[config.model_type]

    @classmethod
    def prepare_config(cls, config: PretrainedConfig) -> PretrainedConfig:
        """Adjust a loaded config before the model is built (e.g. MAE's mask ratio)."""
        return config

    @classmethod
    def random(cls, config: PretrainedConfig, normalization: Normalization, seed: int = 0) -> VisionAdapter:
        """The architecture with random weights, the same for the same seed (resumable runs)."""
        config = cls.prepare_config(cls.vision_config(config))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = cls.model_class(config)._from_config(config, attn_implementation=CAPTURE_IMPLEMENTATION)
        return cls(model, normalization)

    @classmethod
    def pretrained(
        cls, checkpoint: str, config: PretrainedConfig, normalization: Normalization, **kwargs: Any
    ) -> VisionAdapter:
        vision = cls.prepare_config(cls.vision_config(config))
        model = cls.model_class(vision).from_pretrained(
            checkpoint, config=vision, attn_implementation=CAPTURE_IMPLEMENTATION, **kwargs
        )
        return cls(model, normalization)

    # --- facts --------------------------------------------------------------------------------

    @property
    def config(self) -> PretrainedConfig:
        return self.model.config

    @property
    def patch_size(self) -> int:
        return int(self.config.patch_size)

    @property
    def n_layers(self) -> int:
        return int(self.config.num_hidden_layers)

    @property
    def n_heads(self) -> int:
        return int(self.config.num_attention_heads)

    @abstractmethod
    def layout(self, image_size: int) -> TokenLayout:
        """The token layout for a square input of `image_size` pixels."""

    @abstractmethod
    def attention_modules(self) -> list[nn.Module]:
        """The self-attention module of every layer, in order."""

    def pooling_head(self) -> nn.Module | None:
        """The attention-pooling head (SigLIP's MAP probe), if the model has one."""
        return None

    # --- running ------------------------------------------------------------------------------

    @abstractmethod
    def forward(self, pixels: torch.Tensor) -> None:
        """Run the vision tower on normalised pixels (B, 3, S, S); outputs are not needed."""
