"""The model registry: short key → default checkpoint and adapter family; named variants; loading.

A *variant* is a model name declared at run time (`precompute --variant NAME=KEY`): it is built
like registry KEY (same adapter, same default checkpoint until `--checkpoint NAME=…` sets its own)
and stored under NAME, so a fine-tuned model sits beside its base."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, PretrainedConfig

from ssl_attention.attention.capture import CAPTURE_IMPLEMENTATION
from ssl_attention.models.base import Normalization, VisionAdapter
from ssl_attention.models.causal_lm import CausalLm, Qwen3Lm, SmolLm2
from ssl_attention.models.clip import ClipAdapter
from ssl_attention.models.dinov2 import Dinov2Adapter
from ssl_attention.models.dinov3 import Dinov3Adapter
from ssl_attention.models.mae import MaeAdapter
from ssl_attention.models.peft_adapter import AdapterInfo, attach
from ssl_attention.models.qwen_vl import (
    QWEN_SPECIAL_TOKENS,
    Qwen3VLAdapter,
    Qwen25VLAdapter,
    QwenVLAdapter,
    byte_level_tokenizer,
    check_tokenizer,
    load_image_processor,
    load_tokenizer,
)
from ssl_attention.models.resnet import ResNetAdapter
from ssl_attention.models.siglip import SiglipAdapter
from ssl_attention.models.vit_classifier import VitClassifierAdapter

SHIPPED_CONFIGS = Path(__file__).parent / "configs"
WEIGHTS = ("pretrained", "random")


@dataclass(frozen=True)
class ModelSpec:
    key: str
    default_checkpoint: str
    adapter: type[VisionAdapter] | type[QwenVLAdapter] | type[CausalLm]
    kind: str  # a row of ssl_attention.kinds.KINDS
    named_only: bool = False  # run only when named: `all` and its kind's word leave it out


REGISTRY: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec("dinov2", "facebook/dinov2-with-registers-base", Dinov2Adapter, "vit"),
        ModelSpec("dinov3", "facebook/dinov3-vitb16-pretrain-lvd1689m", Dinov3Adapter, "vit"),
        ModelSpec("mae", "facebook/vit-mae-base", MaeAdapter, "vit"),
        ModelSpec("clip", "openai/clip-vit-base-patch16", ClipAdapter, "vit"),
        ModelSpec("siglip", "google/siglip-base-patch16-224", SiglipAdapter, "vit"),
        ModelSpec("siglip2", "google/siglip2-base-patch16-224", SiglipAdapter, "vit"),
        ModelSpec("vit_in1k", "google/vit-base-patch16-224", VitClassifierAdapter, "vit", named_only=True),
        ModelSpec("qwen3", "Qwen/Qwen3-0.6B", Qwen3Lm, "lm"),
        ModelSpec("smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct", SmolLm2, "lm"),
        ModelSpec("causal_lm", "", CausalLm, "lm"),  # generic: only as --variant NAME=causal_lm --checkpoint
        ModelSpec("resnet50", "microsoft/resnet-50", ResNetAdapter, "cnn"),
        ModelSpec("qwen2_5_vl", "Qwen/Qwen2.5-VL-3B-Instruct", Qwen25VLAdapter, "vlm"),
        ModelSpec("qwen3_vl", "Qwen/Qwen3-VL-2B-Instruct", Qwen3VLAdapter, "vlm"),
    )
}


class ModelLoadError(RuntimeError):
    """A model cannot be resolved or loaded; the message says what to do."""


VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # the catalog's model column: 64 characters
SELECTORS = ("all", *sorted({spec.kind for spec in REGISTRY.values()}))  # words --models reads as groups


def parse_variants(values: list[str]) -> dict[str, str]:
    """`NAME=KEY` pairs from `--variant`: NAME is a new model built like registry KEY."""
    variants: dict[str, str] = {}
    for value in values:
        name, sep, key = value.partition("=")
        name, key = name.strip(), key.strip()
        if not sep or not name or not key:
            raise ModelLoadError(f"--variant takes NAME=KEY (e.g. dinov2-ft=dinov2), got '{value}'")
        if name in variants:
            raise ModelLoadError(f"--variant declares '{name}' twice; give each variant one NAME=KEY")
        variants[name] = key
    check_variants(variants)
    return variants


def check_variants(variants: Mapping[str, str]) -> None:
    """Variant names are new names (letters, digits, `-`, `_`, `.`) built like a registry key."""
    for name, key in variants.items():
        if not VARIANT_NAME.fullmatch(name):
            raise ModelLoadError(
                f"variant name '{name}' is not allowed; use up to 64 letters, digits, '-', '_' and '.', "
                "starting with a letter or digit"
            )
        if name in REGISTRY or name in SELECTORS:
            raise ModelLoadError(
                f"variant name '{name}' is taken (a registry key or a --models word); "
                f"choose a name other than {', '.join([*REGISTRY, *SELECTORS])}"
            )
        if key not in REGISTRY:
            raise ModelLoadError(
                f"variant '{name}' is built like unknown model '{key}'; choose from {', '.join(REGISTRY)}"
            )


def base_key(name: str, variants: Mapping[str, str]) -> str:
    """The registry key a model name is built like (itself for a registry key)."""
    return variants.get(name, name)


def resolve_keys(selection: str, variants: Mapping[str, str] | None = None) -> list[str]:
    """`all`, a group (`vit`, `vlm`), or a comma-separated list of names, in registry order, then the
    variants in the order declared. `all` and a group include the declared variants of their kind."""
    variants = variants or {}
    known = [*(k for k, spec in REGISTRY.items() if spec.default_checkpoint), *variants]
    kinds = {name: REGISTRY[base_key(name, variants)].kind for name in known}
    grouped = [name for name in known if not REGISTRY[base_key(name, variants)].named_only]
    chosen: set[str] = set()
    for word in (w.strip() for w in selection.split(",")):
        if not word:
            continue
        if word == "all":
            chosen.update(grouped)
        elif word in kinds.values():
            chosen.update(name for name in grouped if kinds[name] == word)
        elif word in kinds:
            chosen.add(word)
        else:
            groups = sorted({spec.kind for spec in REGISTRY.values()})
            raise ModelLoadError(
                f"unknown model '{word}'; choose from {', '.join(known)}, or all, or a group ({', '.join(groups)})"
                + ("" if variants else "; declare a new name with --variant NAME=KEY")
            )
    if not chosen:
        raise ModelLoadError(f"no model selected; choose from {', '.join(known)} or all")
    return [name for name in known if name in chosen]


def parse_checkpoint_overrides(
    values: list[str], variants: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`NAME=HF_ID_OR_DIR` pairs from `--checkpoint` (NAME: a registry key or a declared variant)."""
    known = [*REGISTRY, *(variants or {})]
    overrides: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        key, target = key.strip(), target.strip()
        if not sep or not key or not target:
            raise ModelLoadError(f"--checkpoint takes KEY=HF_ID_OR_DIR, got '{value}'")
        if key not in known:
            raise ModelLoadError(
                f"--checkpoint names unknown model '{key}'; choose from {', '.join(known)} "
                "(declare a new name with --variant NAME=KEY)"
            )
        overrides[key] = target
    return overrides


@dataclass(frozen=True)
class ResolvedModel:
    """A model's checkpoint and config, before any weights are loaded (cheap: used to validate flags)."""

    spec: ModelSpec  # the registry entry it is built like
    checkpoint: str
    weights: str
    config: PretrainedConfig
    normalization: Normalization
    config_source: str  # folder or hub id the config (and a VLM's processor files) come from
    name: str = ""  # the name it is stored under: the registry key, or a variant's name
    adapter: AdapterInfo | None = None  # a PEFT adapter on these weights (`--adapter NAME=...`)

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.spec.key)

    @property
    def patch_size(self) -> int:
        """The vision tower's patch, from the config (the adapter class knows where its vision config is)."""
        adapter = self.spec.adapter
        vision = adapter.vision_config(self.config) if issubclass(adapter, VisionAdapter) else None
        return int((vision or self.config.vision_config).patch_size)

    def meta_network(self) -> nn.Module:
        """The architecture on PyTorch's meta device: module names and shapes, no weights, no memory."""
        adapter = self.spec.adapter
        config = self.config
        if issubclass(adapter, VisionAdapter):
            config = adapter.prepare_config(adapter.vision_config(config))
        with torch.device("meta"):
            return adapter.model_class(config)._from_config(
                config, attn_implementation=CAPTURE_IMPLEMENTATION
            )

    def _with_adapter(self, network: Any) -> None:
        """Attach the variant's PEFT adapter to the loaded weights (merged unless --no-merge)."""
        if self.adapter is not None:
            network.model = attach(network.model, self.adapter).eval()

    def load(self, **from_pretrained_kwargs: Any) -> VisionAdapter:
        adapter = self.spec.adapter
        assert issubclass(adapter, VisionAdapter), f"{self.name} is a VLM: use load_vlm()"
        if self.weights == "random":
            loaded = adapter.random(self.config, self.normalization)
        else:
            try:
                loaded = adapter.pretrained(
                    self.checkpoint, self.config, self.normalization, **from_pretrained_kwargs
                )
            except (OSError, ValueError) as error:
                raise ModelLoadError(_unreachable(self.name, self.checkpoint, error)) from error
        self._with_adapter(loaded)
        return loaded

    def load_vlm(self, **from_pretrained_kwargs: Any) -> QwenVLAdapter:
        """A VLM with its image processor and tokenizer. Random weights without a reachable
        tokenizer get a byte-level stand-in (the maps of a random model carry no meaning anyway)."""
        adapter = self.spec.adapter
        assert issubclass(adapter, QwenVLAdapter), f"{self.name} is not a VLM: use load()"
        key, source = self.name, self.config_source
        try:
            image_processor = load_image_processor(source)
        except (OSError, ValueError) as error:
            raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error
        try:
            # Random weights never wait on the network for a tokenizer: the local copy or the cache.
            tokenizer = load_tokenizer(self.checkpoint, local_files_only=self.weights == "random")
            check_tokenizer(tokenizer)
        except (OSError, ValueError) as error:
            if self.weights != "random":
                raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error
            tokenizer = byte_level_tokenizer(_special_tokens(self.config))
        try:
            if self.weights == "random":
                loaded = adapter.random(self.config, image_processor, tokenizer)
            else:
                loaded = adapter.pretrained(
                    self.checkpoint, self.config, image_processor, tokenizer, **from_pretrained_kwargs
                )
        except (OSError, ValueError) as error:
            raise ModelLoadError(_unreachable(key, self.checkpoint, error)) from error
        self._with_adapter(loaded)
        return loaded


def _special_tokens(config: PretrainedConfig) -> dict[str, int]:
    """The chat markers at the ids this config uses (image and vision markers come from the config)."""
    tokens = {
        "<|image_pad|>": int(config.image_token_id),
        "<|vision_start|>": int(config.vision_start_token_id),
        "<|vision_end|>": int(config.vision_end_token_id),
    }
    vocab = int(config.get_text_config().vocab_size)
    free = (i for i in range(vocab - 1, 255, -1) if i not in tokens.values())
    for name, default in QWEN_SPECIAL_TOKENS.items():
        if name not in tokens:  # Qwen's own id where the vocabulary has it, else a free id at its top
            tokens[name] = default if default < vocab else next(free)
    return tokens


def _unreachable(key: str, checkpoint: str, error: Exception) -> str:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"cannot load pretrained weights for '{key}' from {checkpoint} ({reason}); "
        f"connect to the Hugging Face hub or fill its cache, point --checkpoint {key}=DIR at a local copy, "
        "or run with --weights random"
    )


def _damaged_safetensors(path: Path) -> str | None:
    """Why a .safetensors file cannot be loaded (truncated, a bad header), or None when it is whole:
    an 8-byte header length, a JSON header, and every tensor's bytes within the file."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return "shorter than its header"
            (length,) = struct.unpack("<Q", head)
            if length > size - 8:
                return "truncated inside its header"
            header = json.loads(handle.read(length))
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "its header is not JSON"
    if not isinstance(header, dict):
        return "its header is not a JSON object"
    ends = [
        entry["data_offsets"][1]
        for name, entry in header.items()
        if name != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets") or ()) == 2
    ]
    if max(ends, default=0) > size - 8 - length:
        return f"truncated ({size} bytes, its header describes {8 + length + max(ends)})"
    return None


def check_weight_files(folder: Path, name: str) -> None:
    """Refuse a checkpoint folder whose weight files are damaged (a half-written download or copy):
    cheap checks of sizes and headers, before a run creates anything."""
    for path in sorted(folder.glob("*.safetensors")):
        why = _damaged_safetensors(path)
        if why is not None:
            raise ModelLoadError(
                f"checkpoint file {path} for '{name}' is damaged ({why}); copy or download it again"
            )
    for path in sorted(folder.glob("*.bin")):
        with path.open("rb") as handle:
            legacy = handle.read(1) == b"\x80"  # PyTorch's pre-1.6 format: a bare pickle
        if not legacy and not zipfile.is_zipfile(path):
            raise ModelLoadError(
                f"checkpoint file {path} for '{name}' is damaged (not a complete PyTorch archive); "
                "copy or download it again"
            )


def _read_normalization(folder: Path) -> Normalization | None:
    path = folder / "preprocessor_config.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"{path} cannot be read ({type(error).__name__}); repair or remove it") from None
    if not isinstance(data, dict):
        return None
    mean, std = data.get("image_mean"), data.get("image_std")
    if not (isinstance(mean, list) and isinstance(std, list) and len(mean) == 3 and len(std) == 3):
        return None
    return Normalization(tuple(float(v) for v in mean), tuple(float(v) for v in std))  # type: ignore[arg-type]


def _hub_normalization(checkpoint: str) -> Normalization | None:
    try:
        from huggingface_hub import hf_hub_download

        return _read_normalization(Path(hf_hub_download(checkpoint, "preprocessor_config.json")).parent)
    except Exception:  # offline, gated or absent: the family's defaults apply
        return None


def resolve_model(
    key: str, checkpoint: str | None = None, weights: str = "pretrained", *, name: str | None = None
) -> ResolvedModel:
    """Find a key's config and normalisation. Offline with `weights="random"` for every default key.
    `name`: the variant's name when the model is a variant built like `key` (messages use it)."""
    name = name or key
    if key not in REGISTRY:
        raise ModelLoadError(f"unknown model '{key}'; choose from {', '.join(REGISTRY)}")
    if weights not in WEIGHTS:
        raise ModelLoadError(f"--weights must be one of {', '.join(WEIGHTS)}, got '{weights}'")
    spec = REGISTRY[key]
    target = checkpoint or spec.default_checkpoint
    if not target:  # the generic key (causal_lm): a variant names its checkpoint
        raise ModelLoadError(
            f"'{name}' is built like the generic '{key}': pass --checkpoint {name}=HF_ID_OR_DIR"
        )
    local = Path(target).expanduser()
    shipped = SHIPPED_CONFIGS / key
    if local.is_dir():
        config_folder: Path | str = local
        if weights == "pretrained":
            check_weight_files(local, name)
    elif Path(target).is_absolute() or target.startswith((".", "~")):
        raise ModelLoadError(
            f"checkpoint folder {target} for '{name}' does not exist; pass --checkpoint {name}=DIR"
        )
    elif weights == "random" and target == spec.default_checkpoint:
        config_folder = shipped
    else:
        config_folder = target
    try:
        config = AutoConfig.from_pretrained(str(config_folder))
    except (OSError, ValueError) as error:
        if weights == "random":
            raise ModelLoadError(
                f"cannot read the config of {target} for '{name}' ({str(error).splitlines()[0]}); "
                f"point --checkpoint {name}=DIR at a folder with its config.json"
            ) from error
        raise ModelLoadError(_unreachable(name, target, error)) from error
    if isinstance(config_folder, Path):
        normalization = _read_normalization(config_folder)
    else:
        normalization = _hub_normalization(target) or (
            _read_normalization(shipped) if target == spec.default_checkpoint else None
        )
    adapter = spec.adapter
    if issubclass(adapter, VisionAdapter):
        model_type = adapter.vision_config(config).model_type
        default_normalization = adapter.default_normalization
    else:
        model_type = config.model_type
        default_normalization = Normalization(
            (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        )  # unused: the processor normalises
    if model_type not in adapter.model_classes:
        raise ModelLoadError(
            f"{target} is a '{config.model_type}' model; '{name}' takes {', '.join(adapter.model_classes)} checkpoints"
        )
    return ResolvedModel(
        spec, target, weights, config, normalization or default_normalization, str(config_folder), name
    )
