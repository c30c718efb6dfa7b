"""The sample store's demo adapter: a small *random* LoRA adapter on DINOv2, made offline.

`./dev.sh` stores the variant `dinov2-lora-demo` beside `dinov2` so the comparison views have
something to show on the first run. The adapter is not trained: its A and B factors are drawn
from a seeded generator (the same bytes on every machine, so reruns skip it), rank 8 on every
layer's query and key projections, strong enough to move the maps visibly. It is written the
way PEFT's `save_pretrained` writes it (`adapter_config.json` + `adapter_model.safetensors`) and
loaded through `precompute --adapter` like any user's adapter.
"""

from __future__ import annotations

from pathlib import Path

import torch

DEMO_NAME = "dinov2-lora-demo"
DEMO_BASE = "dinov2"
RANK, ALPHA, SEED = 8, 16, 20240611
TARGETS = ("q_proj", "k_proj")
B_STD = 0.15  # the size of B's entries: the update is (alpha / r)·B·A


def make_demo_adapter(folder: Path) -> Path:
    """Write the demo adapter into `folder` (unless it is there) and return the folder."""
    if (folder / "adapter_model.safetensors").is_file() and (folder / "adapter_config.json").is_file():
        return folder
    from peft import LoraConfig
    from safetensors.torch import save_file
    from transformers import AutoConfig

    from ssl_attention.models.registry import REGISTRY, SHIPPED_CONFIGS

    config = AutoConfig.from_pretrained(
        str(SHIPPED_CONFIGS / DEMO_BASE)
    )  # the default checkpoint's architecture
    width, layers = int(config.hidden_size), int(config.num_hidden_layers)
    generator = torch.Generator().manual_seed(SEED)
    weights = {}
    for layer in range(layers):
        for target in TARGETS:
            prefix = f"base_model.model.encoder.layer.{layer}.attention.{target}"
            weights[f"{prefix}.lora_A.weight"] = torch.randn(RANK, width, generator=generator) / width**0.5
            weights[f"{prefix}.lora_B.weight"] = B_STD * torch.randn(width, RANK, generator=generator)
    folder.mkdir(parents=True, exist_ok=True)
    LoraConfig(
        r=RANK,
        lora_alpha=ALPHA,
        target_modules=list(TARGETS),
        base_model_name_or_path=REGISTRY[DEMO_BASE].default_checkpoint,
    ).save_pretrained(str(folder))
    save_file(weights, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
    (folder / "README.md").write_text(
        f"# {DEMO_NAME}\n\nA random LoRA adapter (rank {RANK}, alpha {ALPHA}, on {', '.join(TARGETS)}; seed {SEED}) "
        "made by `python -m precompute.samples` to demonstrate the comparison views. Not trained.\n"
    )
    return folder
