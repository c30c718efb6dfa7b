"""PEFT adapters (LoRA, and the other types PEFT can load) on a variant's weights.

`precompute --variant NAME=KEY --adapter NAME=DIR_OR_HUB_ID` builds NAME like KEY and attaches
the adapter saved with PEFT's `save_pretrained` (`adapter_config.json` + `adapter_model.safetensors`
or `.bin`). Before anything is written the adapter is read and checked against the model's
architecture (built on the meta device: no weights): every weight must belong to a module the
model has, LoRA factors must fit their layer, and the config's target modules must exist. Then
`attach` loads it with PEFT and, unless `--no-merge`, merges it into the weights
(`merge_and_unload`): the forward is the base model's, at no extra cost.

The record (`AdapterInfo.record()`) lands in the group's attrs; `identity` names what must match
for a group to be extended (a changed adapter needs --force, like a changed checkpoint).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

ADAPTER_CONFIG = "adapter_config.json"
WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
PEFT_PREFIX = "base_model.model."  # PEFT's prefix of every saved weight name


class AdapterError(ValueError):
    """An adapter cannot be read or does not fit its model; the message says what to do."""


@dataclass(frozen=True)
class AdapterInfo:
    """A PEFT adapter as read from its folder (before any weights are loaded)."""

    name: str  # the variant it attaches to
    source: str  # as given: a folder or a hub id
    path: str  # the local folder with its files
    peft_type: str  # "LORA", "LOHA", "IA3", ...
    r: int | None
    alpha: float | None
    target_modules: tuple[str, ...] | str | None  # names, or a regular expression
    base_model: str | None  # `base_model_name_or_path` in its config: what it was trained on
    weights_file: str
    sha256: str  # of the weights file
    merged: bool = True

    def record(self) -> dict[str, Any]:
        """What the group's attrs keep (`VitAttrs.adapter`, `VlmAttrs.adapter`)."""
        targets = self.target_modules
        return {
            "source": self.source,
            "peft_type": self.peft_type,
            "r": self.r,
            "alpha": self.alpha,
            "target_modules": list(targets) if isinstance(targets, tuple) else targets,
            "base_model": self.base_model,
            "sha256": self.sha256,
            "merged": self.merged,
        }


def parse_adapters(values: list[str], variants: Mapping[str, str]) -> dict[str, str]:
    """`NAME=DIR_OR_HUB_ID` pairs from `--adapter`; NAME must be a declared variant."""
    adapters: dict[str, str] = {}
    for value in values:
        name, sep, source = value.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not name or not source:
            raise AdapterError(
                f"--adapter takes NAME=DIR_OR_HUB_ID (e.g. dinov2-lora=./my-lora), got '{value}'"
            )
        if name not in variants:
            raise AdapterError(
                f"--adapter names '{name}', which is not a declared variant; declare it with "
                f"--variant {name}=KEY (the adapter attaches to KEY's weights, the base stays as it is)"
            )
        if name in adapters:
            raise AdapterError(f"--adapter gives '{name}' twice; give each variant one adapter")
        adapters[name] = source
    return adapters


def _folder(name: str, source: str) -> Path:
    local = Path(source).expanduser()
    if local.is_dir():
        return local
    if Path(source).is_absolute() or source.startswith((".", "~")):
        raise AdapterError(f"adapter folder {source} for '{name}' does not exist; pass --adapter {name}=DIR")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source, allow_patterns=[ADAPTER_CONFIG, "adapter_model.*"]))
    except Exception as error:  # offline, gated, absent
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise AdapterError(
            f"cannot get adapter {source} for '{name}' ({reason}); connect to the Hugging Face hub or fill "
            f"its cache, or point --adapter {name}=DIR at a folder saved with PEFT's save_pretrained"
        ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_adapter(name: str, source: str, *, merge: bool = True) -> AdapterInfo:
    """The adapter's config and the hash of its weights; AdapterError when files are missing."""
    folder = _folder(name, source)
    config_path = folder / ADAPTER_CONFIG
    if not config_path.is_file():
        raise AdapterError(
            f"adapter {source} for '{name}' has no {ADAPTER_CONFIG}; save the adapter with PEFT's save_pretrained"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if not isinstance(config, dict) or "peft_type" not in config:
            raise ValueError("no peft_type")
    except (ValueError, UnicodeDecodeError) as error:
        raise AdapterError(
            f"{config_path} for '{name}' is not a PEFT adapter config ({error}); save the adapter with PEFT"
        ) from None
    weights = next((folder / f for f in WEIGHT_FILES if (folder / f).is_file()), None)
    if weights is None:
        raise AdapterError(
            f"adapter {source} for '{name}' has no weights ({' or '.join(WEIGHT_FILES)}); "
            "save the adapter with PEFT's save_pretrained"
        )
    targets = config.get("target_modules")
    alpha = config.get("lora_alpha", config.get("alpha"))
    return AdapterInfo(
        name=name,
        source=source,
        path=str(folder),
        peft_type=str(config["peft_type"]),
        r=int(config["r"]) if isinstance(config.get("r"), int) else None,
        alpha=float(alpha) if isinstance(alpha, int | float) else None,
        target_modules=tuple(sorted(targets)) if isinstance(targets, list) else targets,
        base_model=config.get("base_model_name_or_path"),
        weights_file=weights.name,
        sha256=_sha256(weights),
        merged=merge,
    )


def weight_shapes(info: AdapterInfo) -> dict[str, tuple[int, ...]]:
    """Every saved weight's name (PEFT's prefix removed) and shape, without loading the values."""
    path = Path(info.path) / info.weights_file
    try:
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as file:
                shapes = {key: tuple(file.get_slice(key).get_shape()) for key in file.keys()}  # noqa: SIM118
        else:
            state = torch.load(path, map_location="meta", weights_only=True)
            shapes = {key: tuple(value.shape) for key, value in state.items()}
    except Exception as error:
        raise AdapterError(
            f"cannot read the weights of adapter {info.source} for '{info.name}' ({error}); "
            "save the adapter again with PEFT's save_pretrained"
        ) from None
    return {key.removeprefix(PEFT_PREFIX): shape for key, shape in shapes.items()}


def check_adapter(info: AdapterInfo, network: nn.Module, model_type: str) -> None:
    """AdapterError unless the adapter fits `network` (a meta-device skeleton is enough)."""
    from peft import PeftConfig
    from peft.tuners.tuners_utils import check_target_module_exists

    modules = dict(network.named_modules())
    made_for = f" (made for {info.base_model})" if info.base_model else ""
    what = f"adapter {info.source} for '{info.name}'{made_for} does not fit its '{model_type}' base"
    try:
        config = PeftConfig.from_pretrained(info.path)
    except Exception as error:
        raise AdapterError(f"{what}: PEFT cannot read its config ({error})") from None
    if info.target_modules is not None and not any(
        check_target_module_exists(config, module) for module in modules
    ):
        raise AdapterError(
            f"{what}: its target modules {info.record()['target_modules']} are not in the model; "
            "use an adapter trained on this architecture"
        )
    shapes = weight_shapes(info)
    if not shapes:
        raise AdapterError(f"{what}: its weights file holds no weights")
    saved = tuple(getattr(config, "modules_to_save", None) or ())
    for key, shape in sorted(shapes.items()):
        owner = _owner(key, modules)
        targeted = owner is not None and (
            info.target_modules is None
            or bool(check_target_module_exists(config, owner))
            or owner.split(".")[-1] in saved
        )
        if owner is None or not targeted:
            raise AdapterError(f"{what}: its weight {key} belongs to no module of the model it targets")
        layer = modules[owner]
        part = key[len(owner) + 1 :]
        if isinstance(layer, nn.Linear) and len(shape) == 2:
            if part.startswith("lora_A.") and shape[1] != layer.in_features:
                raise AdapterError(f"{what}: {key} takes {shape[1]} inputs, {owner} has {layer.in_features}")
            if part.startswith("lora_B.") and shape[0] != layer.out_features:
                raise AdapterError(
                    f"{what}: {key} gives {shape[0]} outputs, {owner} has {layer.out_features}"
                )


def _owner(key: str, modules: Mapping[str, nn.Module]) -> str | None:
    """The longest dotted prefix of a weight name that names a module of the model (not the root)."""
    parts = key.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def attach(model: nn.Module, info: AdapterInfo) -> nn.Module:
    """The model with the adapter: merged into its weights (the same module objects, new values),
    or injected as PEFT layers that run beside the base weights (`merged=False`)."""
    from peft import PeftModel

    try:
        wrapped = PeftModel.from_pretrained(model, info.path, is_trainable=False)
    except (ValueError, RuntimeError, KeyError, OSError) as error:
        raise AdapterError(f"PEFT cannot attach adapter {info.source} to '{info.name}' ({error})") from None
    if info.merged:
        merged: nn.Module = wrapped.merge_and_unload()
        return merged
    return model  # PEFT injected its layers into the model's own modules
