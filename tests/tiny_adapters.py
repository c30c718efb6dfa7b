"""Tiny PEFT adapters made in the tests, saved with save_pretrained like a user's adapter folder."""

from __future__ import annotations

from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model
from torch import nn


def save_lora(
    base: nn.Module,
    folder: Path,
    targets: list[str],
    *,
    seed: int = 0,
    zero: bool = False,
    r: int = 4,
    alpha: int = 8,
    scale: float = 1.0,
) -> Path:
    """A LoRA adapter on `base` (which is left untouched). `zero`: PEFT's default init (B = 0, the
    adapter changes nothing); otherwise random A and B (`init_lora_weights=False`), B scaled by `scale`,
    so the adapter really moves the targeted projections."""
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, init_lora_weights=zero)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = get_peft_model(base, config)
    if not zero and scale != 1.0:
        with torch.no_grad():
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.mul_(scale)
    model.save_pretrained(folder)
    model.unload()  # take the LoRA layers out again: `base` stays the base
    return folder
