"""A tiny random ResNet classifier (the `cnn` kind), saved like a user's checkpoint folder."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers as T

CLASSES = 5
CNN_IMAGE_SIZE = 64  # a 2×2 last-stage grid


def tiny_resnet_config() -> T.ResNetConfig:
    return T.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 16, 32], depths=[1, 1, 1, 1], num_labels=CLASSES
    )


def tiny_resnet(seed: int = 0) -> T.ResNetForImageClassification:
    torch.manual_seed(seed)
    model = T.ResNetForImageClassification(tiny_resnet_config()).eval()
    with torch.no_grad():  # random batch-norm statistics, so that images differ after each stage
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model


def save_tiny_resnet(folder: Path) -> Path:
    tiny_resnet().save_pretrained(folder)
    (folder / "preprocessor_config.json").write_text(
        json.dumps({"image_mean": [0.4, 0.5, 0.6], "image_std": [0.2, 0.25, 0.3]})
    )
    return folder
